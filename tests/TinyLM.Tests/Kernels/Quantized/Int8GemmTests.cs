using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

public class Int8GemmTests
{
    public static TheoryData<string> Paths() => SimdPaths.QuantPaths();

    private static readonly (int M, int N, int K)[] _shapes =
    [
        (0, 3, 5), (3, 0, 5), (1, 1, 1), (1, 7, 3), (2, 5, 16), (3, 17, 31), (1, 256, 64), (4, 33, 65),
        (7, 19, 127), (5, 64, 128), (9, 31, 200), (64, 40, 257), (300, 70, 96),
    ];

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Matches_float64_reference_of_the_dequantized_product(string path)
    {
        var (simd, vnni) = SimdPaths.Quant(path);
        var rng = new Random(17);
        foreach (var (m, n, k) in _shapes)
        {
            var x = QuantTolerances.Random(rng, m * k, 3f);
            var wf = QuantTolerances.Random(rng, n * k, 0.5f);
            var bias = QuantTolerances.Random(rng, n);
            var w = Int8Matrix.Quantize(wf, n, k);
            var y = new float[m * n];
            Int8Gemm.Multiply(m, x, w, bias, y, simd, threads: 1, vnni);

            // Reference: quantize x the same way, then everything in float64.
            var xq = new sbyte[Math.Max(1, m * k)];
            var xs = new float[Math.Max(1, m)];
            Int8Quantizer.QuantizeRows(m, k, x, k, xq, k, xs);
            var wq = w.Values();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (int p = 0; p < k; p++) dot += (double)xq[i * k + p] * wq[j * k + p];
                    double expected = dot * xs[i] * w.Scales[j] + bias[j];
                    QuantTolerances.Close($"{path} {m}x{n}x{k} [{i},{j}]", expected, y[i * n + j], QuantTolerances.Epilogue);
                    // And the quantized product stays near the float one (a sanity bound, 2% of Σ|x·w|).
                    double exact = bias[j], magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        exact += (double)x[i * k + p] * wf[j * k + p];
                        magnitude += Math.Abs((double)x[i * k + p] * wf[j * k + p]);
                    }
                    QuantTolerances.Close($"{path} vs float {m}x{n}x{k}", exact, y[i * n + j], 0, 0.02 * magnitude + 1e-6);
                }
        }
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Every_path_and_thread_count_gives_the_scalar_bits(string path)
    {
        var (simd, vnni) = SimdPaths.Quant(path);
        var rng = new Random(5);
        foreach (var (m, n, k) in _shapes)
        {
            var x = QuantTolerances.Random(rng, m * k);
            var w = Int8Matrix.Quantize(QuantTolerances.Random(rng, n * k), n, k);
            var scalar = new float[m * n];
            var threaded = new float[m * n];
            Int8Gemm.Multiply(m, x, w, default, scalar, SimdLevel.Scalar, threads: 1);
            Int8Gemm.Multiply(m, x, w, default, threaded, simd, threads: 4, vnni);
            Assert.Equal(scalar, threaded);
        }
    }

    [Fact]
    public void Quantizer_maps_the_row_maximum_to_127_and_zero_rows_to_zero_scale()
    {
        float[] x = [0.5f, -2f, 1f, 0f, 0f, 0f];
        var q = new sbyte[8];
        var s = new float[2];
        Int8Quantizer.QuantizeRows(2, 3, x, 3, q, 4, s);
        Assert.Equal(new sbyte[] { 32, -127, 64, 0, 0, 0, 0, 0 }, q);
        Assert.Equal(2f / 127f, s[0]);
        Assert.Equal(0f, s[1]);
        var bad = Assert.Throws<ArgumentException>(() => Int8Quantizer.QuantizeRows(1, 2, [1f, float.NaN], 2, q, 2, s));
        Assert.Contains("NaN", bad.Message);
    }

    [Fact]
    public void Matrix_round_trips_through_stored_values_and_rejects_bad_scales()
    {
        var rng = new Random(9);
        var wf = QuantTolerances.Random(rng, 5 * 70);
        var w = Int8Matrix.Quantize(wf, 5, 70);
        var again = Int8Matrix.FromQuantized(w.Values(), w.Scales, 5, 70);
        Assert.Equal(w.Dequantize(), again.Dequantize());
        var deq = w.Dequantize();
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 70; c++)
                Assert.True(Math.Abs(deq[r * 70 + c] - wf[r * 70 + c]) <= 0.5001 * w.Scales[r]);
        Assert.Throws<ArgumentException>(() => Int8Matrix.FromQuantized(w.Values(), [1f, 1f, float.NaN, 1f, 1f], 5, 70));
        Assert.Throws<ArgumentException>(() => Int8Matrix.FromQuantized(w.Values(), [1f], 5, 70));
        Assert.Throws<ArgumentException>(() => Int8Gemm.Multiply(2, new float[69], w, default, new float[10]));
    }
}
