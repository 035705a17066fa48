using TinyLM.Kernels;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Kernels;

public unsafe class GemvTests
{
    public static TheoryData<string, int> Paths => new()
    {
        { "Scalar", 1 }, { "V128", 1 }, { "V256", 1 }, { "V512", 1 }, { "V128", 2 }, { "V256", 2 }, { "V512", 3 },
    };

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void MatchesFloat64Reference(string path, int threads)
    {
        var simd = Enum.Parse<SimdLevel>(path);
        var rng = new Rng(17);
        foreach (int rows in new[] { 0, 1, 3, 4, 5, 13, 64, 257 })
            foreach (int cols in new[] { 0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 100, 288 })
            {
                var w = new float[rows * cols];
                var x = new float[cols];
                var bias = new float[rows];
                rng.Normal(w);
                rng.Normal(x);
                rng.Normal(bias);
                var y = new float[rows];
                fixed (float* pw = w, px = x, py = y, pb = bias)
                    Gemv.MultiplyMany([new Gemv.Product(pw, px, py, rows % 2 == 0 ? pb : null, rows, cols)], simd, threads);
                for (int r = 0; r < rows; r++)
                {
                    double expected = rows % 2 == 0 ? bias[r] : 0, magnitude = Math.Abs(expected);
                    for (int j = 0; j < cols; j++)
                    {
                        expected += (double)w[r * cols + j] * x[j];
                        magnitude += Math.Abs((double)w[r * cols + j] * x[j]);
                    }
                    Assert.True(Math.Abs(y[r] - expected) <= Tolerances.Kernel * (1 + magnitude), $"{path} ({rows}, {cols}) row {r}: {y[r]} vs {expected}");
                }
            }
    }

    [Fact]
    public void SeveralProductsInOneDispatchAndSameBitsAtAnyThreadCount()
    {
        var rng = new Rng(3);
        var w1 = new float[300 * 96];
        var w2 = new float[40 * 96];
        var x = new float[96];
        rng.Normal(w1);
        rng.Normal(w2);
        rng.Normal(x);
        float[] Run(int threads)
        {
            var y = new float[340];
            fixed (float* p1 = w1, p2 = w2, px = x, py = y)
                Gemv.MultiplyMany([new Gemv.Product(p1, px, py, null, 300, 96), new Gemv.Product(p2, px, py + 300, null, 40, 96)], Simd.Level, threads);
            return y;
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(4));
        var single = new float[40];
        Gemv.Multiply(w2, x, default, single, 40, 96);
        Assert.Equal(single, one[300..]);
    }
}
