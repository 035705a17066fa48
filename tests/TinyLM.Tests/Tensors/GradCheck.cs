using TinyLM.Tensors;

namespace TinyLM.Tests.Tensors;

/// <summary>Named tolerances for gradient and kernel checks, in one place.</summary>
internal static class Tolerances
{
    /// <summary>Absolute slack of a gradient check (float32 forward noise divided by the step).</summary>
    public const double GradAbsolute = 2e-3;

    /// <summary>Relative slack of a gradient check.</summary>
    public const double GradRelative = 1e-2;

    /// <summary>Finite-difference step; Richardson extrapolation makes truncation error O(h⁴).</summary>
    public const double FiniteDifferenceStep = 1e-2;

    /// <summary>Kernel vs float64 reference, relative to the magnitude of the reference.</summary>
    public const double Kernel = 2e-5;
}

/// <summary>
/// Checks autograd gradients against central finite differences. The scalar probed is L = Σ f(X) ⊙ R with fixed
/// random weights R (so every output element's gradient path is exercised), accumulated in float64. The forward
/// runs in float32, so each difference quotient carries rounding noise ≈ ε₃₂·|L|/h; a large step h keeps that
/// below 1e-4 for the small inputs used here, and Richardson extrapolation D = (4·D(h/2) − D(h))/3 removes the
/// O(h²) truncation error that the large step would otherwise bring.
/// </summary>
internal static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Check(f, 1234, inputs);

    public static void Check(Func<Tensor[], Tensor> f, ulong seed, params Tensor[] inputs)
    {
        foreach (var x in inputs) Assert.True(x.IsLeaf);
        var y = f(inputs);
        var rng = new Rng(seed);
        var r = new float[y.Length];
        rng.Uniform(r, -1f, 1f);
        var rt = Tensor.FromArray(r, [.. y.Shape]);
        foreach (var x in inputs) x.ZeroGrad();
        y.Backward(rt);

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad) continue;
            Assert.NotNull(x.Grad);
            var analytic = x.Grad!.ToArray();
            var data = x.AsSpan();
            for (int i = 0; i < data.Length; i++)
            {
                double numeric = Numeric(f, inputs, x, i, r);
                double diff = Math.Abs(analytic[i] - numeric);
                double bound = Tolerances.GradAbsolute + Tolerances.GradRelative * Math.Abs(numeric);
                Assert.True(diff <= bound,
                    $"input {k} {string.Join("x", x.Shape)} element {i}: analytic {analytic[i]:G6} vs numeric {numeric:G6} (diff {diff:G3} > {bound:G3})");
            }
        }
    }

    private static double Numeric(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor x, int i, float[] r)
    {
        double h = Tolerances.FiniteDifferenceStep;
        double d1 = Central(f, inputs, x, i, r, h);
        double d2 = Central(f, inputs, x, i, r, h / 2);
        return (4 * d2 - d1) / 3;
    }

    private static double Central(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor x, int i, float[] r, double h)
    {
        var data = x.AsSpan();
        float orig = data[i];
        data[i] = (float)(orig + h);
        double plusH = data[i] - orig;
        double lp = Loss(f, inputs, r);
        data = x.AsSpan();
        data[i] = (float)(orig - h);
        double minusH = orig - data[i];
        double lm = Loss(f, inputs, r);
        x.AsSpan()[i] = orig;
        // Use the step actually representable in float32.
        return (lp - lm) / (plusH + minusH);
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, float[] r)
    {
        using var _ = Tensor.NoGrad();
        var y = f(inputs).ToArray();
        double s = 0;
        for (int j = 0; j < y.Length; j++) s += (double)y[j] * r[j];
        return s;
    }

    /// <summary>A trainable leaf with N(0,1)·scale values, nudged at least <paramref name="awayFromZero"/> from 0 (for kinks).</summary>
    public static Tensor Input(Rng rng, int[] shape, float scale = 1f, float awayFromZero = 0f, float shift = 0f)
    {
        var t = Tensor.Parameter(shape);
        var s = t.AsSpan();
        rng.Normal(s, 0f, scale);
        for (int i = 0; i < s.Length; i++)
        {
            if (Math.Abs(s[i]) < awayFromZero) s[i] = s[i] < 0 ? s[i] - awayFromZero : s[i] + awayFromZero;
            s[i] += shift;
        }
        return t;
    }
}
