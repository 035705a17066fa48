using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

/// <summary>llama.cpp's Q4_K super-blocks: byte layout, quantization error, dot kernels vs float64.</summary>
public class Q4KTests
{
    public static TheoryData<string> Paths() => SimdPaths.QuantPaths();

    private static float[] Gaussian(Random rng, int count, double std)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
            x[i] = (float)(std * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    [Fact]
    public void Layout_is_d_dmin_packed_6_bit_scales_and_mins_then_low_nibbles_of_even_and_high_nibbles_of_odd_sub_blocks()
    {
        // Sub-block j holds sc[j]/64 · q − m[j]/128 with q = (l + j) mod 16: exactly representable with d = 1/64 and
        // dmin = 1/128 (the largest sc and m are 63), so the quantizer must find these very bytes.
        int[] sc = [63, 10, 1, 32, 17, 63, 5, 40];
        int[] m = [0, 63, 3, 20, 33, 63, 1, 50];
        var x = new float[256];
        for (int j = 0; j < 8; j++)
            for (int l = 0; l < 32; l++)
                x[32 * j + l] = sc[j] / 64f * ((l + j) % 16) - m[j] / 128f;
        var block = new byte[144];
        BlockQuant.Quantize(BlockFormat.Q4_K, x, block);
        Assert.Equal(0x2400, block[0] | (block[1] << 8)); // f16 of 2⁻⁶
        Assert.Equal(0x2000, block[2] | (block[3] << 8)); // f16 of 2⁻⁷
        // Worked by hand: bytes 0–3 = sc 0–3 | top bits of sc 4–7; 4–7 = m 0–3 | top bits of m 4–7;
        // 8–11 = low 4 bits of sc 4–7 | low 4 bits of m 4–7 << 4.
        byte[] scales = [0x7F, 0xCA, 0x01, 0xA0, 0x80, 0xFF, 0x03, 0xD4, 0x11, 0xFF, 0x15, 0x28];
        Assert.Equal(scales, block[4..16]);
        Assert.Equal(0x10, block[16]);       // values 0 (q 0) and 32 (q 1)
        Assert.Equal(0x0F, block[16 + 15]);  // values 15 (q 15) and 47 (q 0)
        Assert.Equal(0x32, block[16 + 32]);  // values 64 (sub-block 2, q 2) and 96 (sub-block 3, q 3)
        Assert.Equal(0x87, block[16 + 96 + 1]); // values 193 (sub-block 6, q 7) and 225 (sub-block 7, q 8)
        for (int g = 0; g < 4; g++)
            for (int l = 0; l < 32; l++)
                Assert.Equal((byte)((l + 2 * g) % 16 | ((l + 2 * g + 1) % 16) << 4), block[16 + 32 * g + l]);
        var back = new float[256];
        BlockQuant.Dequantize(BlockFormat.Q4_K, block, back);
        Assert.Equal(x, back);
    }

    [Fact]
    public void Scale_packing_round_trips_every_6_bit_value()
    {
        var packed = new byte[12];
        Span<int> sc = stackalloc int[8], m = stackalloc int[8], sc2 = stackalloc int[8], m2 = stackalloc int[8];
        for (int v = 0; v < 64; v++)
        {
            for (int j = 0; j < 8; j++)
            {
                sc[j] = (v + 7 * j) % 64;
                m[j] = (63 - v + 11 * j) % 64;
            }
            Q4KQuant.PackScales(sc, m, packed);
            Q4KQuant.UnpackScales(packed, sc2, m2);
            Assert.True(sc.SequenceEqual(sc2) && m.SequenceEqual(m2), $"pattern {v}");
        }
    }

    [Fact]
    public void Round_trip_error_is_within_a_step_and_below_q4_0()
    {
        var rng = new Random(17);
        foreach (int count in new[] { 0, 256, 768 })
            foreach (float shift in new[] { 0f, 0.5f, -0.5f })
            {
                var x = Gaussian(rng, count, 1.0);
                for (int i = 0; i < count; i++) x[i] += shift;
                if (count > 0) x[3] = 0f;
                var blocks = new byte[BlockQuant.RowBytes(BlockFormat.Q4_K, count)];
                BlockQuant.Quantize(BlockFormat.Q4_K, x, blocks);
                var back = new float[count];
                BlockQuant.Dequantize(BlockFormat.Q4_K, blocks, back);
                for (int s = 0; s < count / 256; s++)
                {
                    float d = (float)BitConverter.UInt16BitsToHalf((ushort)(blocks[s * 144] | blocks[s * 144 + 1] << 8));
                    float dmin = (float)BitConverter.UInt16BitsToHalf((ushort)(blocks[s * 144 + 2] | blocks[s * 144 + 3] << 8));
                    for (int j = 0; j < 8; j++)
                    {
                        var sub = x.AsSpan(s * 256 + j * 32, 32);
                        double lo = Math.Min(0, sub.ToArray().Min()), hi = sub.ToArray().Max();
                        // One step of the sub-block's range, plus the 6-bit rounding of its scale (15 levels) and min.
                        double bound = (hi - lo) / 15 + 15 * d / 2 + dmin / 2 + 1e-6;
                        for (int l = 0; l < 32; l++)
                        {
                            int i = s * 256 + j * 32 + l;
                            Assert.True(Math.Abs(x[i] - back[i]) <= bound, $"n={count} shift {shift} value {i}: {x[i]} → {back[i]} (bound {bound})");
                        }
                    }
                }
                if (count == 0) continue;
                var q4 = new byte[BlockQuant.RowBytes(BlockFormat.Q4_0, count)];
                BlockQuant.Quantize(BlockFormat.Q4_0, x, q4);
                var back4 = new float[count];
                BlockQuant.Dequantize(BlockFormat.Q4_0, q4, back4);
                double rmsK = Rms(x, back), rms0 = Rms(x, back4), norm = Rms(x, new float[count]);
                Assert.True(rmsK < rms0, $"n={count} shift {shift}: q4_k rms error {rmsK} is not below q4_0's {rms0}");
                Assert.True(rmsK < 0.1 * norm, $"n={count} shift {shift}: q4_k relative rms error {rmsK / norm}");
            }
        Assert.Throws<ArgumentException>(() => BlockQuant.Quantize(BlockFormat.Q4_K, new float[288], new byte[1000]));
        Assert.Throws<ArgumentException>(() => BlockQuant.Quantize(BlockFormat.Q4_K, [.. new float[255], float.NaN], new byte[144]));
        Assert.Throws<ArgumentException>(() => BlockMatrix.Quantize(BlockFormat.Q4_K, new float[2 * 288], 2, 288));
    }

    [Fact]
    public void Constant_and_zero_sub_blocks_are_exact()
    {
        var x = new float[256];
        for (int i = 32; i < 64; i++) x[i] = -0.75f;  // all equal and negative: the min alone
        for (int i = 64; i < 96; i++) x[i] = 2f;      // all equal and positive: top level
        var block = new byte[144];
        BlockQuant.Quantize(BlockFormat.Q4_K, x, block);
        var back = new float[256];
        BlockQuant.Dequantize(BlockFormat.Q4_K, block, back);
        for (int i = 0; i < 32; i++) Assert.Equal(0f, back[i]);
        for (int i = 32; i < 96; i++) Assert.True(Math.Abs(x[i] - back[i]) <= 0.01 * Math.Abs(x[i]), $"{i}: {x[i]} → {back[i]}");
    }

    private static double Rms(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - (double)b[i]) * (a[i] - (double)b[i]);
        return Math.Sqrt(s / Math.Max(1, a.Length));
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Dot_matches_float64_of_the_dequantized_blocks_and_the_scalar_bits(string path)
    {
        var simd = SimdPaths.Quant(path).Level;
        var rng = new Random(29);
        foreach (int count in new[] { 0, 256, 512, 1280 })
            foreach (float shift in new[] { 0f, 0.3f })
            {
                var wx = QuantTolerances.Random(rng, count);
                for (int i = 0; i < count; i++) wx[i] += shift;
                var w = new byte[BlockQuant.RowBytes(BlockFormat.Q4_K, count)];
                var a = new byte[BlockQuant.RowBytes(BlockFormat.Q8_0, count)];
                BlockQuant.Quantize(BlockFormat.Q4_K, wx, w);
                BlockQuant.Quantize(BlockFormat.Q8_0, QuantTolerances.Random(rng, count, 2f), a);
                var wf = new float[count];
                var af = new float[count];
                BlockQuant.Dequantize(BlockFormat.Q4_K, w, wf);
                BlockQuant.Dequantize(BlockFormat.Q8_0, a, af);
                double expected = 0, magnitude = 0;
                for (int i = 0; i < count; i++)
                {
                    expected += (double)wf[i] * af[i];
                    magnitude += Math.Abs((double)wf[i] * af[i]);
                }
                float actual = BlockQuant.Dot(BlockFormat.Q4_K, count, w, a, simd);
                // The min term is summed apart (Σ a times the min), so the bound carries it too.
                double minTerms = 0;
                for (int i = 0; i < count; i++) minTerms += Math.Abs(af[i]);
                QuantTolerances.Close($"q4_k {path} n={count}", expected, actual, 0,
                    QuantTolerances.BlockDotPerBlock * (count / 32 + 1) * (magnitude + 2 * minTerms) + 1e-6);
                Assert.Equal(BlockQuant.Dot(BlockFormat.Q4_K, count, w, a, SimdLevel.Scalar), actual);
            }
    }

    [Fact]
    public void Matrix_multiply_matches_row_dots_and_float64_and_is_thread_invariant()
    {
        var rng = new Random(37);
        foreach (var (m, n, k) in new[] { (1, 1, 256), (3, 17, 512), (5, 45, 768), (1, 129, 256) })
        {
            var wf = Gaussian(rng, n * k, 0.1);
            var x = QuantTolerances.Random(rng, m * k, 2f);
            var bias = QuantTolerances.Random(rng, n);
            var w = BlockMatrix.Quantize(BlockFormat.Q4_K, wf, n, k);
            Assert.Equal(n * k / 256 * 144, w.Data.Length);
            var serial = new float[m * n];
            var threaded = new float[m * n];
            var vector = new float[m * n];
            w.Multiply(m, x, bias, serial, SimdLevel.Scalar, threads: 1);
            w.Multiply(m, x, bias, threaded, SimdLevel.V512, threads: 4);
            w.Multiply(m, x, bias, vector, SimdLevel.V256, threads: 1);
            Assert.Equal(serial, threaded);
            Assert.Equal(serial, vector);
            var a = new byte[BlockQuant.RowBytes(BlockFormat.Q8_0, k)];
            var deq = w.Dequantize();
            var again = BlockMatrix.FromBlocks(BlockFormat.Q4_K, w.Data, n, k);
            Assert.Equal(deq, again.Dequantize());
            for (int i = 0; i < m; i++)
            {
                BlockQuant.Quantize(BlockFormat.Q8_0, x.AsSpan(i * k, k), a);
                for (int j = 0; j < n; j++)
                {
                    Assert.Equal(BlockQuant.Dot(BlockFormat.Q4_K, k, w.Data.AsSpan(j * w.RowBytes, w.RowBytes), a, SimdLevel.Scalar) + bias[j], serial[i * n + j]);
                    double exact = bias[j], magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        exact += (double)deq[j * k + p] * x[i * k + p];
                        magnitude += Math.Abs((double)deq[j * k + p] * x[i * k + p]);
                    }
                    // Only the Q8_0 activations separate the kernel from float64 of the dequantized weights.
                    QuantTolerances.Close($"q4_k {m}x{n}x{k} vs dequantized float", exact, serial[i * n + j], 0, 0.02 * magnitude + 1e-6);
                }
            }
        }
    }
}
