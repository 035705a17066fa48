using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// A binary elementwise operator as a struct with static members, so generic kernels are specialised
/// by the JIT with no per-element virtual call. The span forms cover the three broadcast cases of a row.
/// </summary>
public interface IBinaryOperator
{
    /// <summary>Scalar form, used by scalar tails and references.</summary>
    static abstract float Invoke(float x, float y);

    /// <summary>d[i] = op(x[i], y[i]).</summary>
    static abstract void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d);

    /// <summary>d[i] = op(x[i], y).</summary>
    static abstract void Invoke(ReadOnlySpan<float> x, float y, Span<float> d);

    /// <summary>d[i] = op(x, y[i]).</summary>
    static abstract void Invoke(float x, ReadOnlySpan<float> y, Span<float> d);
}

/// <summary>A unary elementwise operator (see <see cref="IBinaryOperator"/>).</summary>
public interface IUnaryOperator
{
    /// <summary>Scalar form.</summary>
    static abstract float Invoke(float x);

    /// <summary>d[i] = op(x[i]); d may alias x.</summary>
    static abstract void Invoke(ReadOnlySpan<float> x, Span<float> d);
}

/// <summary>x + y.</summary>
public readonly struct AddOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x + y;
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Add(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(y, x, d);
}

/// <summary>x - y.</summary>
public readonly struct SubtractOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x - y;
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
}

/// <summary>x * y.</summary>
public readonly struct MultiplyOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x * y;
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(y, x, d);
}

/// <summary>x / y.</summary>
public readonly struct DivideOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => x / y;
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
}

/// <summary>x ^ y.</summary>
public readonly struct PowOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => MathF.Pow(x, y);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d)
    {
        // Common exponents get exact, faster forms.
        if (y == 2f) TensorPrimitives.Multiply(x, x, d);
        else if (y == 1f) x.CopyTo(d);
        else if (y == 0.5f) TensorPrimitives.Sqrt(x, d);
        else TensorPrimitives.Pow(x, y, d);
    }
    /// <inheritdoc/>
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
}

/// <summary>max(x, y).</summary>
public readonly struct MaxOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => MathF.Max(x, y);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Max(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(y, x, d);
}

/// <summary>min(x, y).</summary>
public readonly struct MinOperator : IBinaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x, float y) => MathF.Min(x, y);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Min(x, y, d);
    /// <inheritdoc/>
    public static void Invoke(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(y, x, d);
}

/// <summary>Span-in/span-out elementwise kernels that TensorPrimitives does not provide.</summary>
public static class ElementwiseKernels
{
    /// <summary>Applies a unary operator to a span.</summary>
    public static void Apply<TOp>(ReadOnlySpan<float> x, Span<float> d) where TOp : IUnaryOperator => TOp.Invoke(x, d);

    /// <summary>Applies a binary operator to a row under one of the broadcast patterns (stride 0 or 1 per operand).</summary>
    public static void ApplyRow<TOp>(ReadOnlySpan<float> x, int strideX, ReadOnlySpan<float> y, int strideY, Span<float> d)
        where TOp : IBinaryOperator
    {
        if (strideX == 1 && strideY == 1) TOp.Invoke(x[..d.Length], y[..d.Length], d);
        else if (strideX == 1) TOp.Invoke(x[..d.Length], y[0], d);
        else if (strideY == 1) TOp.Invoke(x[0], y[..d.Length], d);
        else d.Fill(TOp.Invoke(x[0], y[0]));
    }

    /// <summary>d += x * y (elementwise).</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) =>
        TensorPrimitives.FusedMultiplyAdd(x, y, d, d);

    /// <summary>d[i] = x[i] > 0 ? g[i] : 0 — the ReLU backward.</summary>
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> d)
    {
        if (x.Length != g.Length || d.Length != g.Length) throw new ArgumentException("ReluBackward: span lengths differ.");
        int i = 0;
        if (Simd.Level >= SimdLevel.V256)
        {
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var xv = Vector256.Create(x.Slice(i, Vector256<float>.Count));
                var gv = Vector256.Create(g.Slice(i, Vector256<float>.Count));
                Vector256.ConditionalSelect(Vector256.GreaterThan(xv, Vector256<float>.Zero), gv, Vector256<float>.Zero)
                    .CopyTo(d.Slice(i, Vector256<float>.Count));
            }
        }
        for (; i < x.Length; i++) d[i] = x[i] > 0 ? g[i] : 0f;
    }

    /// <summary>d = g · y · (1 − y), the sigmoid backward given its output y.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> d)
    {
        for (int i = 0; i < y.Length; i++) d[i] = g[i] * y[i] * (1f - y[i]);
    }

    /// <summary>d = g · (1 − y²), the tanh backward given its output y.</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> d)
    {
        for (int i = 0; i < y.Length; i++) d[i] = g[i] * (1f - y[i] * y[i]);
    }

    /// <summary>d = clamp(x, lo, hi).</summary>
    public static void Clamp(ReadOnlySpan<float> x, float lo, float hi, Span<float> d)
    {
        TensorPrimitives.Max(x, lo, d);
        TensorPrimitives.Min(d, hi, d);
    }
}
