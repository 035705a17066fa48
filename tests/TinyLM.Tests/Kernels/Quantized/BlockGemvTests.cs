using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

public class BlockGemvTests
{
    public static TheoryData<string> Paths() => SimdPaths.QuantPaths();

    // Odd block counts (1, 3, 9: the 15M shape's 288 columns), odd row counts, one and several activation rows.
    private static readonly (int M, int Rows, int Cols)[] Shapes = [(1, 1, 32), (1, 7, 96), (1, 37, 288), (3, 33, 160), (5, 65, 64), (2, 300, 288)];

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Activations_quantize_to_the_same_bytes_on_every_path_and_match_the_q8_0_block_quantizer_up_to_ties(string path)
    {
        var simd = SimdPaths.Quant(path).Level;
        var rng = new Random(5);
        var x = QuantTolerances.Random(rng, 3 * 96, 3f);
        x[7] = 0f;
        var fast = new BlockActivations();
        var scalar = new BlockActivations();
        fast.Quantize(3, x, 96, simd);
        scalar.Quantize(3, x, 96, SimdLevel.Scalar);
        var blocks = new byte[BlockQuant.RowBytes(BlockFormat.Q8_0, 96)];
        unsafe
        {
            for (int r = 0; r < 3; r++)
            {
                BlockQuant.Quantize(BlockFormat.Q8_0, x.AsSpan(r * 96, 96), blocks);
                for (int b = 0; b < 3; b++)
                {
                    Assert.Equal(scalar.Scales(r)[b], fast.Scales(r)[b]);
                    Assert.Equal(BlockQuant.Scale(blocks.AsSpan(b * 34)), fast.Scales(r)[b]);
                    int sum = 0;
                    for (int j = 0; j < 32; j++)
                    {
                        sbyte q = fast.Values(r)[b * 32 + j];
                        Assert.Equal(scalar.Values(r)[b * 32 + j], q);
                        // Activations round half to even, weights half away from zero: they differ by at most one step on ties.
                        Assert.True(Math.Abs(q - (sbyte)blocks[b * 34 + 2 + j]) <= 1);
                        sum += q;
                    }
                    Assert.Equal(sum, fast.Sums(r)[b]);
                }
            }
        }
        Assert.Throws<ArgumentException>(() => fast.Quantize(1, new float[40], 40));
        Assert.Throws<ArgumentException>(() => fast.Quantize(1, [.. new float[31], float.NaN], 32));
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Products_match_float64_of_dequantized_weights_and_quantized_activations_and_the_scalar_bits(string path)
    {
        var simd = SimdPaths.Quant(path).Level;
        var rng = new Random(41);
        foreach (var format in new[] { BlockFormat.Q8_0, BlockFormat.Q4_0 })
            foreach (var (m, rows, cols) in Shapes)
            {
                var w = BlockMatrix.Quantize(format, QuantTolerances.Random(rng, rows * cols), rows, cols);
                var x = QuantTolerances.Random(rng, m * cols, 2f);
                var bias = QuantTolerances.Random(rng, rows);
                var y = new float[m * rows];
                var reference = new float[m * rows];
                w.Multiply(m, x, bias, y, simd, threads: 2);
                w.Multiply(m, x, bias, reference, SimdLevel.Scalar, threads: 1);
                Assert.Equal(reference, y);

                var deq = w.Dequantize();
                var a = new BlockActivations();
                a.Quantize(m, x, cols, SimdLevel.Scalar);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < rows; j++)
                    {
                        double exact = bias[j], magnitude = Math.Abs(bias[j]);
                        unsafe
                        {
                            for (int p = 0; p < cols; p++)
                            {
                                double av = a.Values(i)[p] * (double)a.Scales(i)[p / 32];
                                exact += deq[j * cols + p] * av;
                                magnitude += Math.Abs(deq[j * cols + p] * av);
                            }
                        }
                        QuantTolerances.Close($"{format} {path} ({m},{rows},{cols}) [{i},{j}]", exact, y[i * rows + j], 0, 1e-6 * magnitude + 1e-6);
                        // And against the float weights and activations: the quantization error itself.
                        double floatExact = bias[j];
                        for (int p = 0; p < cols; p++) floatExact += deq[j * cols + p] * (double)x[i * cols + p];
                        QuantTolerances.Close($"{format} vs float activations", floatExact, y[i * rows + j], 0, 0.02 * magnitude + 1e-5);
                    }
            }
    }

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public unsafe void Q4_0_rows_in_fours_with_every_tail_and_no_bias_match_the_scalar_bits_and_float64(string path)
    {
        // The vector kernel runs four rows at a time; 1..9 rows cover every tail length, with and without a bias.
        var simd = SimdPaths.Quant(path).Level;
        var rng = new Random(17);
        foreach (int cols in new[] { 32, 96 })
            for (int rows = 1; rows <= 9; rows++)
                foreach (bool withBias in new[] { false, true })
                {
                    var w = BlockMatrix.Quantize(BlockFormat.Q4_0, QuantTolerances.Random(rng, rows * cols, 3f), rows, cols);
                    var x = QuantTolerances.Random(rng, cols, 2f);
                    var bias = withBias ? QuantTolerances.Random(rng, rows) : [];
                    var y = new float[rows];
                    var scalar = new float[rows];
                    w.Multiply(1, x, bias, y, simd, threads: 1);
                    w.Multiply(1, x, bias, scalar, SimdLevel.Scalar, threads: 1);
                    Assert.Equal(scalar, y);
                    var a = new BlockActivations();
                    a.Quantize(1, x, cols, SimdLevel.Scalar);
                    var deq = w.Dequantize();
                    for (int j = 0; j < rows; j++)
                    {
                        double exact = withBias ? bias[j] : 0, magnitude = Math.Abs(exact);
                        for (int p = 0; p < cols; p++)
                        {
                            double term = deq[j * cols + p] * (a.Values(0)[p] * (double)a.Scales(0)[p / 32]);
                            exact += term;
                            magnitude += Math.Abs(term);
                        }
                        QuantTolerances.Close($"q4_0 {path} ({rows},{cols}) bias {withBias} [{j}]", exact, y[j], 0, 1e-6 * magnitude + 1e-6);
                    }
                }
    }

    [Fact]
    public unsafe void Many_products_in_one_dispatch_equal_one_at_a_time_at_any_thread_count()
    {
        var rng = new Random(3);
        int cols = 288;
        var mats = new[]
        {
            BlockMatrix.Quantize(BlockFormat.Q4_0, QuantTolerances.Random(rng, 300 * cols), 300, cols),
            BlockMatrix.Quantize(BlockFormat.Q8_0, QuantTolerances.Random(rng, 45 * cols), 45, cols),
            BlockMatrix.Quantize(BlockFormat.Q8_0, QuantTolerances.Random(rng, 768 * cols), 768, cols),
        };
        var x = QuantTolerances.Random(rng, cols);
        var bias = QuantTolerances.Random(rng, 768);
        var single = mats.Select(w => new float[w.Rows]).ToArray();
        for (int i = 0; i < 3; i++) mats[i].Multiply(1, x, i == 2 ? bias : default, single[i]);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var a = new BlockActivations();
            a.Quantize(1, x, cols);
            var outs = mats.Select(w => new float[w.Rows]).ToArray();
            fixed (float* y0 = outs[0], y1 = outs[1], y2 = outs[2], pb = bias)
            {
                BlockProduct[] products = [new(mats[0], null, y0), new(mats[1], null, y1), new(mats[2], pb, y2)];
                BlockGemv.MultiplyMany(a, products, Simd.Level, threads);
            }
            for (int i = 0; i < 3; i++) Assert.Equal(single[i], outs[i]);
        }
        var wrong = new BlockActivations();
        wrong.Quantize(1, new float[64], 64);
        Assert.Throws<ArgumentException>(() => BlockGemv.MultiplyMany(wrong, [new BlockProduct(mats[0], null, null)]));
    }
}
