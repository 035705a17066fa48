using TinyLM.Kernels;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Kernels;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Nn;

public class ExactGeluTests
{
    [SimdTheory]
    [InlineData("Scalar")]
    [InlineData("V128")]
    [InlineData("V256")]
    [InlineData("V512")]
    public void Kernel_matches_float64_erf(string path)
    {
        var simd = Enum.Parse<SimdLevel>(path);
        var x = new float[1001];
        for (int i = 0; i < x.Length; i++) x[i] = -10f + 0.02f * i;
        x[^1] = 0.3f;
        var y = new float[x.Length];
        var g = new float[x.Length];
        Array.Fill(g, 1f);
        var d = new float[x.Length];
        GeluKernels.Forward(x, y, simd);
        GeluKernels.Backward(x, g, d, accumulate: false, simd);
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i], cdf = 0.5 * (1 + Erf(xi / Math.Sqrt(2))), pdf = Math.Exp(-xi * xi / 2) / Math.Sqrt(2 * Math.PI);
            Assert.True(Math.Abs(y[i] - xi * cdf) <= 1e-6 * (1 + Math.Abs(xi)), $"{path} GELU({xi}) = {y[i]}, expected {xi * cdf}");
            Assert.True(Math.Abs(d[i] - (cdf + xi * pdf)) <= 1e-6 * (1 + Math.Abs(xi)), $"{path} GELU'({xi}) = {d[i]}, expected {cdf + xi * pdf}");
        }
        // Accumulating adds onto what is there.
        Array.Fill(d, 2f);
        GeluKernels.Backward(x, g, d, accumulate: true, simd);
        Assert.Equal(2f + (float)(0.5 * (1 + Erf(0.3 / Math.Sqrt(2))) + 0.3 * Math.Exp(-0.045) / Math.Sqrt(2 * Math.PI)), d[^1], 5);
    }

    [Fact]
    public void Threaded_chunks_give_the_same_bits_as_one_pass()
    {
        var rng = new Rng(2);
        var x = new float[50_001];
        var g = new float[x.Length];
        rng.Normal(x, 0f, 3f);
        rng.Normal(g);
        var y1 = new float[x.Length];
        var y2 = new float[x.Length];
        var d1 = new float[x.Length];
        var d2 = new float[x.Length];
        GeluKernels.Forward(x, y1);
        GeluKernels.Forward(x, y2, Simd.Level);
        GeluKernels.Backward(x, g, d1, accumulate: false);
        GeluKernels.Backward(x, g, d2, accumulate: false, Simd.Level);
        Assert.Equal(y2, y1);
        Assert.Equal(d2, d1);
    }

    [Fact]
    public void Op_gradient_matches_finite_differences_and_differs_from_tanh_form()
    {
        var rng = new Rng(8);
        var x = GradCheck.Input(rng, [3, 7], scale: 2f);
        GradCheck.Check(v => ExactGelu.Apply(v[0]), x);
        GradCheck.Check(v => ExactGelu.Apply(v[0].T), x);
        using var _ = Tensor.NoGrad();
        var probe = Tensor.FromArray([-1.5f], 1);
        Assert.NotEqual(probe.Gelu().Item(), ExactGelu.Apply(probe).Item());
        Assert.Equal(-1.5 * 0.5 * (1 + Erf(-1.5 / Math.Sqrt(2))), ExactGelu.Apply(probe).Item(), 6);
    }

    // erf by Simpson's rule on 2/√π·exp(−t²): exact to ~1e-13 over the range used.
    internal static double Erf(double z)
    {
        int n = 4000;
        double h = Math.Abs(z) / n, s = 0;
        for (int i = 0; i <= n; i++)
        {
            double t = i * h, f = Math.Exp(-t * t);
            s += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * f;
        }
        return Math.Sign(z) * s * h / 3 * 2 / Math.Sqrt(Math.PI);
    }
}
