using TinyLM.Kernels;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Kernels;

/// <summary>Span kernels against naive float64 references, lengths 0–67 and odd row counts.</summary>
public class SpanKernelTests
{
    public static TheoryData<int> Lengths => new() { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 67 };

    private static float[] Random(int n, ulong seed, float scale = 2f)
    {
        var a = new float[n];
        new Rng(seed).Normal(a, 0f, scale);
        return a;
    }

    private static void Near(double expected, float actual, string what)
    {
        double tol = Tolerances.Kernel * Math.Max(1.0, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:G9}, got {actual:G9}");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Binary_row_broadcast_patterns(int n)
    {
        var x = Random(n, 1);
        var y = Random(Math.Max(n, 1), 2);
        var d = new float[n];
        ElementwiseKernels.ApplyRow<MultiplyOperator>(x, 1, y, 1, d);
        for (int i = 0; i < n; i++) Near((double)x[i] * y[i], d[i], "mul");
        ElementwiseKernels.ApplyRow<SubtractOperator>(x, 1, y, 0, d);
        for (int i = 0; i < n; i++) Near((double)x[i] - y[0], d[i], "sub row-scalar");
        ElementwiseKernels.ApplyRow<DivideOperator>(y, 0, x, 1, d);
        for (int i = 0; i < n; i++) Near((double)y[0] / x[i], d[i], "div scalar-row");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Activations_and_relu_backward(int n)
    {
        var x = Random(n, 3);
        var g = Random(n, 4);
        var d = new float[n];
        ActivationKernels.GeluTanh(x, d);
        for (int i = 0; i < n; i++)
        {
            double v = x[i];
            Near(0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), d[i], "gelu");
        }
        ActivationKernels.Silu(x, d);
        for (int i = 0; i < n; i++) Near(x[i] / (1 + Math.Exp(-x[i])), d[i], "silu");
        ElementwiseKernels.ReluBackward(x, g, d);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? g[i] : 0f, d[i]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 33)]
    [InlineData(2, 64)]
    public void Softmax_and_log_softmax(int rows, int n)
    {
        var x = Random(rows * n, 5, 4f);
        var y = new float[rows * n];
        var l = new float[rows * n];
        SoftmaxKernels.Softmax(x, y, rows, n);
        SoftmaxKernels.LogSoftmax(x, l, rows, n);
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < n; j++) max = Math.Max(max, x[r * n + j]);
            for (int j = 0; j < n; j++) sum += Math.Exp(x[r * n + j] - max);
            for (int j = 0; j < n; j++)
            {
                double lp = x[r * n + j] - max - Math.Log(sum);
                Near(Math.Exp(lp), y[r * n + j], "softmax");
                Near(lp, l[r * n + j], "logsoftmax");
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 33)]
    public void Layer_norm_and_rms_norm_forward(int rows, int n)
    {
        var x = Random(rows * n, 6);
        var w = Random(n, 7);
        var b = Random(n, 8);
        var y = new float[rows * n];
        var mean = new float[rows];
        var rstd = new float[rows];
        NormKernels.LayerNorm(x, w, b, y, mean, rstd, rows, n, 1e-5f);
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, v = 0, ss = 0;
            for (int j = 0; j < n; j++) mu += x[r * n + j];
            mu /= n;
            for (int j = 0; j < n; j++) { v += Math.Pow(x[r * n + j] - mu, 2); ss += Math.Pow(x[r * n + j], 2); }
            double rs = 1 / Math.Sqrt(v / n + 1e-5);
            for (int j = 0; j < n; j++) Near((x[r * n + j] - mu) * rs * w[j] + b[j], y[r * n + j], "layernorm");
        }
        NormKernels.RmsNorm(x, w, y, rstd, rows, n, 1e-6f);
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int j = 0; j < n; j++) ss += Math.Pow(x[r * n + j], 2);
            double rs = 1 / Math.Sqrt(ss / n + 1e-6);
            for (int j = 0; j < n; j++) Near(x[r * n + j] * rs * w[j], y[r * n + j], "rmsnorm");
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 1)]
    [InlineData(2, 7, 3)]
    [InlineData(4, 0, 2)]
    public void Sum_and_max_over_an_axis(int outer, int n, int inner)
    {
        var x = Random(outer * n * inner, 9);
        var d = new float[outer * inner];
        ReductionKernels.Sum(x, outer, n, inner, d);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0;
                for (int r = 0; r < n; r++) s += x[(o * n + r) * inner + i];
                Near(s, d[o * inner + i], "sum");
            }
        if (n == 0) return;
        var arg = new int[outer * inner];
        ReductionKernels.Max(x, outer, n, inner, d, arg);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                float best = float.NegativeInfinity;
                for (int r = 0; r < n; r++) best = Math.Max(best, x[(o * n + r) * inner + i]);
                Assert.Equal(best, d[o * inner + i]);
                Assert.Equal(best, x[(o * n + arg[o * inner + i]) * inner + i]);
            }
    }
}
