using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels;

public unsafe class GemmTests
{
    // Algorithms travel as names: the enum is internal, and xunit theories must be public.
    public static TheoryData<SimdLevel, string> Paths()
    {
        var data = new TheoryData<SimdLevel, string>();
        foreach (var simd in Enum.GetValues<SimdLevel>())
            foreach (string algorithm in new[] { "Direct", "Packed", "Auto" })
                data.Add(simd, algorithm);
        return data;
    }

    private static GemmOptions Options(SimdLevel simd, string algorithm, int threads) =>
        new(simd, Enum.Parse<GemmAlgorithm>(algorithm), threads);

    // (m, n, k): zero sizes, vectors, K = 1, odd sizes, sizes around the 6×16 / 8×32 / 4×4 tiles,
    // and sizes that cross the KC (256), MC (144) and NC (2048) block edges.
    private static readonly (int M, int N, int K)[] _shapes =
    [
        (0, 0, 0), (0, 5, 3), (5, 0, 3), (5, 3, 0), (1, 1, 1), (1, 37, 5), (37, 1, 5), (1, 1, 300),
        (7, 9, 1), (6, 16, 8), (6, 32, 8), (5, 15, 7), (7, 17, 9), (13, 33, 31), (12, 48, 64),
        (19, 70, 257), (150, 21, 20), (3, 2050, 3), (33, 31, 520),
    ];

    private static void Check(GemmOptions options, bool transA, bool transB, int m, int n, int k, float alpha, float beta,
        int seed, bool nanC = false)
    {
        var rng = new Random(seed);
        int aCols = transA ? m : k, aRows = transA ? k : m, bCols = transB ? k : n, bRows = transB ? n : k;
        int lda = Math.Max(1, aCols) + rng.Next(0, 3), ldb = Math.Max(1, bCols) + rng.Next(0, 3), ldc = Math.Max(1, n) + rng.Next(0, 3);
        var a = GemmReference.Random(rng, Math.Max(1, aRows * lda));
        var b = GemmReference.Random(rng, Math.Max(1, bRows * ldb));
        var c = GemmReference.Random(rng, Math.Max(1, m * ldc));
        if (nanC)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    c[i * ldc + j] = float.NaN;
        var before = (float[])c.Clone();
        var expected = GemmReference.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Gemm.Multiply(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, options);
        GemmReference.AssertClose($"{options} tA={transA} tB={transB} {m}x{n}x{k} a={alpha} b={beta} lda={lda} ldb={ldb} ldc={ldc}",
            m, n, k, c, ldc, before, expected);
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Matches_float64_reference_for_every_transpose_and_shape(SimdLevel simd, string algorithm)
    {
        var options = Options(simd, algorithm, 1);
        int seed = 1;
        foreach (var (m, n, k) in _shapes)
        {
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    Check(options, transA, transB, m, n, k, 1f, 0f, seed++);
        }
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Matches_reference_on_random_shapes(SimdLevel simd, string algorithm)
    {
        var options = Options(simd, algorithm, 1);
        var rng = new Random(42);
        for (int trial = 0; trial < 12; trial++)
        {
            int m = rng.Next(1, 60), n = rng.Next(1, 80), k = rng.Next(1, 70);
            Check(options, rng.Next(2) == 1, rng.Next(2) == 1, m, n, k, 1f, 0f, 100 + trial);
        }
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Applies_alpha_and_beta_as_blas_does(SimdLevel simd, string algorithm)
    {
        var options = Options(simd, algorithm, 1);
        (float Alpha, float Beta)[] cases = [(1, 1), (0.5f, -1.5f), (2, 0), (0, 2), (0, 0), (-1, 1), (1.25f, 0.75f)];
        int seed = 500;
        foreach (var (alpha, beta) in cases)
            foreach (var (m, n, k) in new[] { (7, 17, 9), (13, 33, 300), (1, 5, 1), (6, 16, 0) })
                foreach (bool transA in new[] { false, true })
                    foreach (bool transB in new[] { false, true })
                        Check(options, transA, transB, m, n, k, alpha, beta, seed++);
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Beta_zero_ignores_nan_in_c(SimdLevel simd, string algorithm)
    {
        var options = Options(simd, algorithm, 1);
        foreach (var (m, n, k) in new[] { (7, 17, 9), (13, 33, 300), (4, 4, 0) })
        {
            Check(options, false, false, m, n, k, 1f, 0f, 900, nanC: true);
            Check(options, true, true, m, n, k, 0f, 0f, 901, nanC: true);
        }
    }

    [SimdTheory]
    [MemberData(nameof(SimdPaths.Levels), MemberType = typeof(SimdPaths))]
    public void Threaded_results_are_bit_identical_to_serial(SimdLevel simd)
    {
        var shapes = new[] { (70, 90, 50), (13, 200, 40), (200, 13, 40), (131, 67, 300), (300, 300, 64) };
        int seed = 7;
        foreach (var (m, n, k) in shapes)
            foreach (var algorithm in new[] { GemmAlgorithm.Direct, GemmAlgorithm.Packed })
                foreach (bool transA in new[] { false, true })
                    foreach (bool transB in new[] { false, true })
                    {
                        var rng = new Random(seed++);
                        int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3;
                        var a = GemmReference.Random(rng, (transA ? k : m) * lda);
                        var b = GemmReference.Random(rng, (transB ? n : k) * ldb);
                        var c0 = GemmReference.Random(rng, m * ldc);
                        float[]? serial = null;
                        foreach (int threads in new[] { 1, 2, 3, 4 })
                        {
                            var c = (float[])c0.Clone();
                            fixed (float* pa = a)
                            fixed (float* pb = b)
                            fixed (float* pc = c)
                                Gemm.Multiply(transA, transB, m, n, k, 0.75f, pa, lda, pb, ldb, 0.5f, pc, ldc,
                                    new GemmOptions(simd, algorithm, threads));
                            if (serial is null) serial = c;
                            else Assert.True(BitIdentical(serial, c), $"{simd} {algorithm} {m}x{n}x{k} tA={transA} tB={transB}: {threads} threads differ from 1");
                        }
                    }
    }

    [SimdTheory]
    [InlineData(SimdLevel.Scalar, 1)]
    [InlineData(SimdLevel.V128, 1)]
    [InlineData(SimdLevel.V128, 2)]
    [InlineData(SimdLevel.V256, 1)]
    [InlineData(SimdLevel.V256, 2)]
    [InlineData(SimdLevel.V512, 2)]
    public void Batched_matches_reference_per_item(SimdLevel simd, int threads)
    {
        var rng = new Random(11);
        foreach (var (batch, m, n, k) in new[] { (1, 7, 9, 5), (3, 13, 17, 11), (5, 6, 16, 33), (2, 70, 90, 50) })
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                {
                    int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 1, ldc = n + 2;
                    int sizeA = (transA ? k : m) * lda, sizeB = (transB ? n : k) * ldb, sizeC = m * ldc;
                    long strideA = sizeA + 3, strideB = sizeB + 5, strideC = sizeC + 4;
                    var a = GemmReference.Random(rng, (int)(strideA * batch));
                    var b = GemmReference.Random(rng, (int)(strideB * batch));
                    var c = GemmReference.Random(rng, (int)(strideC * batch));
                    var before = (float[])c.Clone();
                    fixed (float* pa = a)
                    fixed (float* pb = b)
                    fixed (float* pc = c)
                        Gemm.MultiplyBatched(transA, transB, batch, m, n, k, 1.5f, pa, lda, strideA, pb, ldb, strideB, -0.5f,
                            pc, ldc, strideC, new GemmOptions(simd, GemmAlgorithm.Auto, threads));
                    for (int item = 0; item < batch; item++)
                    {
                        var expected = GemmReference.Multiply(transA, transB, m, n, k, 1.5f, a, lda, b, ldb, -0.5f, before, ldc,
                            (int)(strideA * item), (int)(strideB * item), (int)(strideC * item));
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++)
                            {
                                double got = c[strideC * item + i * ldc + j], want = expected.Value[i * n + j];
                                Assert.True(Math.Abs(got - want) <= GemmTolerances.Bound(k, expected.Magnitude[i * n + j]),
                                    $"batch item {item} C[{i},{j}] = {got}, expected {want}");
                            }
                    }
                    for (int idx = 0; idx < c.Length; idx++)
                    {
                        long rel = idx % strideC;
                        if (!(rel < sizeC && rel % ldc < n))
                            Assert.Equal(before[idx], c[idx]);
                    }
                }
    }

    [Fact]
    public void Batched_threaded_matches_serial_bit_for_bit()
    {
        var rng = new Random(3);
        int batch = 4, m = 33, n = 45, k = 27;
        var a = GemmReference.Random(rng, batch * m * k);
        var b = GemmReference.Random(rng, batch * k * n);
        float[]? serial = null;
        foreach (int threads in new[] { 1, 2, 8 })
        {
            var c = new float[batch * m * n];
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
                Gemm.MultiplyBatched(false, true, batch, m, n, k, 1f, pa, k, m * k, pb, k, k * n, 0f, pc, n, m * n,
                    new GemmOptions(Simd.Level, GemmAlgorithm.Auto, threads));
            if (serial is null) serial = c;
            else Assert.True(BitIdentical(serial, c), $"{threads} threads differ from 1");
        }
    }

    [Fact]
    public void Public_span_api_uses_the_default_path()
    {
        var rng = new Random(5);
        int m = 37, n = 41, k = 43;
        var a = GemmReference.Random(rng, m * k);
        var b = GemmReference.Random(rng, n * k);
        var c = new float[m * n];
        var expected = GemmReference.Multiply(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n);
        Gemm.Multiply(false, true, m, n, k, 1f, a, k, b, k, 0f, c, n);
        GemmReference.AssertClose("span api", m, n, k, c, n, new float[c.Length], expected);
    }

    [Fact]
    public void Bad_arguments_name_the_op_and_shapes()
    {
        var x = new float[8];
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 3, 3, 3, 1f, x, 3, x, 3, 0f, x, 3));
        Assert.Contains("Gemm", e.Message);
        Assert.Contains("3×3", e.Message);
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, -1, 3, 3, 1f, x, 3, x, 3, 0f, x, 3));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 2, 1f, x, 1, x, 2, 0f, x, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.MultiplyBatched(false, false, -1, 2, 2, 2, 1f, x, 2, 4, x, 2, 4, 0f, x, 2, 4));
        Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyBatched(false, false, 3, 2, 2, 2, 1f, x, 2, 4, x, 2, 4, 0f, x, 2, 4));
    }

    private static bool BitIdentical(float[] x, float[] y)
    {
        if (x.Length != y.Length) return false;
        for (int i = 0; i < x.Length; i++)
            if (BitConverter.SingleToInt32Bits(x[i]) != BitConverter.SingleToInt32Bits(y[i])) return false;
        return true;
    }
}
