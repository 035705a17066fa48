using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

public class BlockQuantTests
{
    public static TheoryData<string> Paths() => SimdPaths.QuantPaths();

    [Fact]
    public void Q4_0_layout_is_ggml_s_low_nibble_first_half_high_nibble_second_half()
    {
        var x = new float[32];
        for (int j = 0; j < 16; j++)
        {
            x[j] = j - 8;        // q = j (the −8 at j = 0 fixes d = 1)
            x[j + 16] = 7 - j;   // q = 15 − j
        }
        var block = new byte[18];
        BlockQuant.Quantize(BlockFormat.Q4_0, x, block);
        Assert.Equal(0x3C00, block[0] | (block[1] << 8)); // f16 of d = −8 / −8 = 1
        for (int j = 0; j < 16; j++) Assert.Equal((byte)(j | ((15 - j) << 4)), block[2 + j]);
        var back = new float[32];
        BlockQuant.Dequantize(BlockFormat.Q4_0, block, back);
        Assert.Equal(x, back);
    }

    [Fact]
    public void Q8_0_layout_is_f16_scale_then_32_signed_bytes()
    {
        var x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 16; // max |x| = 16 → d = 16/127
        var block = new byte[34];
        BlockQuant.Quantize(BlockFormat.Q8_0, x, block);
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(16f / 127f)), (ushort)(block[0] | (block[1] << 8)));
        Assert.Equal(-127, (sbyte)block[2]);
        Assert.Equal(0, (sbyte)block[2 + 16]);
        Assert.Equal((sbyte)MathF.Round(15 * 127f / 16f, MidpointRounding.AwayFromZero), (sbyte)block[2 + 31]);
    }

    [Theory]
    [InlineData(BlockFormat.Q8_0, QuantTolerances.Q8StepFraction)]
    [InlineData(BlockFormat.Q4_0, QuantTolerances.Q4StepFraction)]
    public void Round_trip_error_is_within_one_quantization_step(BlockFormat format, double fraction)
    {
        var rng = new Random(11);
        foreach (int count in new[] { 0, 32, 64, 320 })
        {
            var x = QuantTolerances.Random(rng, count, 4f);
            if (count > 0) x[5] = 0f;
            var blocks = new byte[BlockQuant.RowBytes(format, count)];
            BlockQuant.Quantize(format, x, blocks);
            var back = new float[count];
            BlockQuant.Dequantize(format, blocks, back);
            for (int b = 0; b < count / 32; b++)
            {
                double amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(x[b * 32 + j]));
                double step = format == BlockFormat.Q8_0 ? amax / 127 : amax / 8;
                for (int j = 0; j < 32; j++)
                    Assert.True(Math.Abs(x[b * 32 + j] - back[b * 32 + j]) <= fraction * step + 1e-7,
                        $"{format} block {b} elem {j}: {x[b * 32 + j]} → {back[b * 32 + j]} (step {step})");
            }
        }
        Assert.Throws<ArgumentException>(() => BlockQuant.Quantize(format, new float[33], new byte[100]));
        Assert.Throws<ArgumentException>(() => BlockQuant.Quantize(format, [.. new float[31], float.PositiveInfinity], new byte[100]));
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Dots_match_float64_of_the_dequantized_blocks_and_the_scalar_bits(string path)
    {
        var simd = SimdPaths.Quant(path).Level;
        var rng = new Random(23);
        foreach (var format in new[] { BlockFormat.Q8_0, BlockFormat.Q4_0 })
            foreach (int count in new[] { 0, 32, 96, 256, 1024 })
            {
                var w = new byte[BlockQuant.RowBytes(format, count)];
                var a = new byte[BlockQuant.RowBytes(BlockFormat.Q8_0, count)];
                BlockQuant.Quantize(format, QuantTolerances.Random(rng, count), w);
                BlockQuant.Quantize(BlockFormat.Q8_0, QuantTolerances.Random(rng, count, 2f), a);
                var wf = new float[count];
                var af = new float[count];
                BlockQuant.Dequantize(format, w, wf);
                BlockQuant.Dequantize(BlockFormat.Q8_0, a, af);
                double expected = 0, magnitude = 0;
                for (int i = 0; i < count; i++)
                {
                    expected += (double)wf[i] * af[i];
                    magnitude += Math.Abs((double)wf[i] * af[i]);
                }
                float actual = BlockQuant.Dot(format, count, w, a, simd);
                QuantTolerances.Close($"{format} {path} n={count}", expected, actual, 0, QuantTolerances.BlockDotPerBlock * (count / 32 + 1) * magnitude + 1e-6);
                Assert.Equal(BlockQuant.Dot(format, count, w, a, SimdLevel.Scalar), actual);
            }
    }

    [Theory]
    [InlineData(BlockFormat.Q8_0)]
    [InlineData(BlockFormat.Q4_0)]
    public void Matrix_multiply_matches_row_dots_and_is_thread_invariant(BlockFormat format)
    {
        var rng = new Random(31);
        foreach (var (m, n, k) in new[] { (1, 1, 32), (3, 17, 64), (70, 45, 96), (1, 256, 64) })
        {
            var wf = QuantTolerances.Random(rng, n * k);
            var x = QuantTolerances.Random(rng, m * k, 2f);
            var bias = QuantTolerances.Random(rng, n);
            var w = BlockMatrix.Quantize(format, wf, n, k);
            var serial = new float[m * n];
            var threaded = new float[m * n];
            w.Multiply(m, x, bias, serial, SimdLevel.Scalar, threads: 1);
            w.Multiply(m, x, bias, threaded, SimdLevel.V512, threads: 4);
            Assert.Equal(serial, threaded);
            var a = new byte[BlockQuant.RowBytes(BlockFormat.Q8_0, k)];
            var deq = w.Dequantize();
            for (int i = 0; i < m; i++)
            {
                BlockQuant.Quantize(BlockFormat.Q8_0, x.AsSpan(i * k, k), a);
                for (int j = 0; j < n; j++)
                {
                    Assert.Equal(BlockQuant.Dot(format, k, w.Data.AsSpan(j * w.RowBytes, w.RowBytes), a, SimdLevel.Scalar) + bias[j], serial[i * n + j]);
                    double exact = bias[j], magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        exact += (double)deq[j * k + p] * x[i * k + p];
                        magnitude += Math.Abs((double)deq[j * k + p] * x[i * k + p]);
                    }
                    QuantTolerances.Close($"{format} {m}x{n}x{k} vs dequantized float", exact, serial[i * n + j], 0, 0.02 * magnitude + 1e-6);
                }
            }
        }
    }
}
