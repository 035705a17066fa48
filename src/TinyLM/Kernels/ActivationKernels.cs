using System.Numerics.Tensors;

namespace TinyLM.Kernels;

/// <summary>Exp.</summary>
public readonly struct ExpOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Exp(x);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Exp(x, d);
}

/// <summary>Natural log.</summary>
public readonly struct LogOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Log(x);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Log(x, d);
}

/// <summary>Square root.</summary>
public readonly struct SqrtOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Sqrt(x);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sqrt(x, d);
}

/// <summary>Hyperbolic tangent.</summary>
public readonly struct TanhOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => MathF.Tanh(x);
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Tanh(x, d);
}

/// <summary>Logistic sigmoid.</summary>
public readonly struct SigmoidOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => 1f / (1f + MathF.Exp(-x));
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sigmoid(x, d);
}

/// <summary>Negation.</summary>
public readonly struct NegateOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => -x;
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Negate(x, d);
}

/// <summary>max(x, 0).</summary>
public readonly struct ReluOperator : IUnaryOperator
{
    /// <inheritdoc/>
    public static float Invoke(float x) => x > 0 ? x : 0f;
    /// <inheritdoc/>
    public static void Invoke(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Max(x, 0f, d);
}

/// <summary>Activation kernels with hand-written backward passes.</summary>
public static class ActivationKernels
{
    // sqrt(2/pi), the constant of the tanh approximation of GELU.
    internal const float GeluC = 0.7978845608028654f;
    internal const float GeluA = 0.044715f;

    /// <summary>
    /// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). This is the form GPT-2
    /// and nanoGPT use; it differs from the exact erf form by &lt; 1e-3 everywhere.
    /// </summary>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> d)
    {
        if (d.Length != x.Length) throw new ArgumentException("GeluTanh: span lengths differ.");
        // Blocks through TensorPrimitives (SIMD tanh); d may alias x: each block reads x before writing d.
        Span<float> t = stackalloc float[Block];
        for (int i = 0; i < x.Length; i += Block)
        {
            int n = Math.Min(Block, x.Length - i);
            var xs = x.Slice(i, n);
            var ts = t[..n];
            GeluTanhInner(xs, ts);
            TensorPrimitives.Add(ts, 1f, ts);
            TensorPrimitives.Multiply(ts, xs, ts);
            TensorPrimitives.Multiply(ts, 0.5f, d.Slice(i, n));
        }
    }

    /// <summary>d = g · GELU'(x) for the tanh approximation.</summary>
    public static void GeluTanhBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> d)
    {
        Span<float> t = stackalloc float[Block];
        for (int i = 0; i < x.Length; i += Block)
        {
            int n = Math.Min(Block, x.Length - i);
            var xs = x.Slice(i, n);
            var ts = t[..n];
            GeluTanhInner(xs, ts);
            for (int j = 0; j < n; j++)
            {
                float v = xs[j], tj = ts[j];
                float dt = (1f - tj * tj) * GeluC * (1f + 3f * GeluA * v * v);
                d[i + j] = g[i + j] * (0.5f * (1f + tj) + 0.5f * v * dt);
            }
        }
    }

    private const int Block = 256;

    // t = tanh(√(2/π)·(x + 0.044715·x³)).
    private static void GeluTanhInner(ReadOnlySpan<float> x, Span<float> t)
    {
        TensorPrimitives.Multiply(x, x, t);
        TensorPrimitives.Multiply(t, GeluA, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Multiply(t, x, t);
        TensorPrimitives.Multiply(t, GeluC, t);
        TensorPrimitives.Tanh(t, t);
    }

    /// <summary>SiLU (swish): x · sigmoid(x).</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> d)
    {
        if (d.Length != x.Length) throw new ArgumentException("Silu: span lengths differ.");
        // d may alias x: each block's sigmoid is computed before d is written.
        Span<float> s = stackalloc float[Block];
        for (int i = 0; i < x.Length; i += Block)
        {
            int n = Math.Min(Block, x.Length - i);
            TensorPrimitives.Sigmoid(x.Slice(i, n), s[..n]);
            TensorPrimitives.Multiply(x.Slice(i, n), s[..n], d.Slice(i, n));
        }
    }

    /// <summary>d = g · SiLU'(x) = g · s · (1 + x · (1 − s)), s = sigmoid(x).</summary>
    public static void SiluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> d)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            float s = 1f / (1f + MathF.Exp(-v));
            d[i] = g[i] * s * (1f + v * (1f - s));
        }
    }
}
