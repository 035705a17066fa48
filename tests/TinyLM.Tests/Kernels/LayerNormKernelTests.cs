using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Tests.Kernels;

public class LayerNormKernelTests
{
    public static TheoryData<string, int> Paths => new()
    {
        { "Scalar", 1 }, { "V128", 1 }, { "V256", 1 }, { "V512", 1 }, { "V256", 2 }, { "V512", 3 },
    };

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Forward_and_backward_match_float64_reference(string path, int threads)
    {
        var simd = Enum.Parse<SimdLevel>(path);
        var rng = new Rng(11);
        foreach (int rows in new[] { 1, 5, 33, 300 })
            foreach (int n in new[] { 1, 7, 16, 17, 40, 128, 131 })
                foreach (bool affine in new[] { true, false })
                {
                    var x = Random(rng, rows * n, 2f, 0.5f);
                    var w = affine ? Random(rng, n, 1f, 1f) : [];
                    var b = affine ? Random(rng, n, 1f, 0f) : [];
                    var g = Random(rng, rows * n, 1f, 0f);
                    var y = new float[rows * n];
                    var mean = new float[rows];
                    var rstd = new float[rows];
                    NormKernels.LayerNorm(x, w, b, y, mean, rstd, rows, n, 1e-5f, simd, threads);
                    // Gradients accumulate: start from ones.
                    var dx = Ones(rows * n);
                    var dw = Ones(n);
                    var db = Ones(n);
                    NormKernels.LayerNormBackward(x, w, mean, rstd, g, dx, affine ? dw : [], affine ? db : [], rows, n, simd, threads);
                    var rdw = new double[n];
                    var rdb = new double[n];
                    string where = $"{path}/{threads} rows {rows} n {n} affine {affine}";
                    for (int r = 0; r < rows; r++)
                    {
                        double mu = 0, v = 0;
                        for (int j = 0; j < n; j++) mu += x[r * n + j];
                        mu /= n;
                        for (int j = 0; j < n; j++) v += Math.Pow(x[r * n + j] - mu, 2);
                        double rs = 1 / Math.Sqrt(v / n + 1e-5);
                        double sumG = 0, sumGX = 0;
                        for (int j = 0; j < n; j++)
                        {
                            double xh = (x[r * n + j] - mu) * rs;
                            double wj = affine ? w[j] : 1, gh = g[r * n + j] * wj;
                            Near(xh * wj + (affine ? b[j] : 0), y[r * n + j], where + " y");
                            sumG += gh;
                            sumGX += gh * xh;
                            rdw[j] += g[r * n + j] * xh;
                            rdb[j] += g[r * n + j];
                        }
                        for (int j = 0; j < n; j++)
                        {
                            double xh = (x[r * n + j] - mu) * rs, gh = g[r * n + j] * (affine ? w[j] : 1);
                            Near(1 + rs * (gh - sumG / n - xh * sumGX / n), dx[r * n + j], where + " dx");
                        }
                    }
                    if (!affine) continue;
                    for (int j = 0; j < n; j++)
                    {
                        Near(1 + rdw[j], dw[j], where + " dw", rows);
                        Near(1 + rdb[j], db[j], where + " db", rows);
                    }
                }
    }

    [Fact]
    public void Same_bits_at_every_thread_count()
    {
        var rng = new Rng(12);
        int rows = 777, n = 128;
        var x = Random(rng, rows * n, 1f, 0f);
        var w = Random(rng, n, 1f, 1f);
        var b = Random(rng, n, 1f, 0f);
        var g = Random(rng, rows * n, 1f, 0f);
        (float[], float[], float[], float[]) Run(int threads)
        {
            var y = new float[rows * n];
            var mean = new float[rows];
            var rstd = new float[rows];
            var dx = new float[rows * n];
            var dw = new float[n];
            var db = new float[n];
            NormKernels.LayerNorm(x, w, b, y, mean, rstd, rows, n, 1e-5f, Simd.Level, threads);
            NormKernels.LayerNormBackward(x, w, mean, rstd, g, dx, dw, db, rows, n, Simd.Level, threads);
            return (y, dx, dw, db);
        }
        var one = Run(1);
        foreach (int threads in new[] { 2, 5 })
        {
            var other = Run(threads);
            Assert.Equal(one.Item1, other.Item1);
            Assert.Equal(one.Item2, other.Item2);
            Assert.Equal(one.Item3, other.Item3);
            Assert.Equal(one.Item4, other.Item4);
        }
    }

    [Fact]
    public void Short_spans_name_the_kernel()
    {
        var e = Assert.Throws<ArgumentException>(() => NormKernels.LayerNorm(new float[5], [], [], new float[6], new float[2], new float[2], 2, 3, 1e-5f));
        Assert.Contains("NormKernels.LayerNorm", e.Message);
    }

    private static void Near(double expected, float actual, string what, int terms = 1)
    {
        double tol = 2e-5 * Math.Sqrt(terms) * (1 + Math.Abs(expected));
        Assert.True(Math.Abs(actual - expected) <= tol, $"{what}: {actual} vs {expected}");
    }

    private static float[] Random(Rng rng, int n, float scale, float shift)
    {
        var a = new float[n];
        rng.Normal(a, shift, scale);
        return a;
    }

    private static float[] Ones(int n)
    {
        var a = new float[n];
        Array.Fill(a, 1f);
        return a;
    }
}
