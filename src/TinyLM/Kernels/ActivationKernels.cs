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
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            d[i] = 0.5f * v * (1f + MathF.Tanh(GeluC * (v + GeluA * v * v * v)));
        }
    }

    /// <summary>d = g · GELU'(x) for the tanh approximation.</summary>
    public static void GeluTanhBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> d)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            float t = MathF.Tanh(GeluC * (v + GeluA * v * v * v));
            float dt = (1f - t * t) * GeluC * (1f + 3f * GeluA * v * v);
            d[i] = g[i] * (0.5f * (1f + t) + 0.5f * v * dt);
        }
    }

    /// <summary>SiLU (swish): x · sigmoid(x).</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> d)
    {
        if (d.Length != x.Length) throw new ArgumentException("Silu: span lengths differ.");
        // d may alias x, so keep x's value before overwriting.
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            d[i] = v / (1f + MathF.Exp(-v));
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
