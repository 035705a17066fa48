using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Recurrent;

/// <summary>Serialises the tests that flip the global vector/scalar switch with those that compare bits.</summary>
[CollectionDefinition("RecurrentKernels", DisableParallelization = true)]
public sealed class RecurrentKernelsCollection;

[Collection("RecurrentKernels")]
public class RecurrentKernelTests
{
    public enum Cell { Lstm, Gru }

    // (cell, B, T, I, H, reverse, lengths or null, bias, h0, extra output stride)
    public static TheoryData<Cell, int, int, int, int, bool, int[]?, bool, bool, int> GradientCases()
    {
        var data = new TheoryData<Cell, int, int, int, int, bool, int[]?, bool, bool, int>();
        foreach (var cell in new[] { Cell.Lstm, Cell.Gru })
        {
            data.Add(cell, 3, 5, 7, 5, false, null, true, true, 0);
            data.Add(cell, 3, 5, 7, 5, true, null, true, true, 0);
            data.Add(cell, 3, 5, 7, 5, false, [5, 2, 3], true, true, 2);
            data.Add(cell, 3, 5, 7, 5, true, [2, 5, 1], true, true, 0);
            data.Add(cell, 2, 4, 4, 11, false, [3, 0], false, false, 0);
            data.Add(cell, 2, 3, 3, 16, true, [3, 1], true, false, 3);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Forward_matches_float64_reference(Cell cell, int b, int t, int i, int h, bool reverse, int[]? lengths, bool bias, bool h0, int stride)
    {
        var prob = RecurrentProblem.Create(11, new RecurrentShape(b, t, i, h, reverse), cell == Cell.Lstm ? 4 : 3, lengths, bias, h0);
        var run = RecurrentRunner.Run(prob, cell == Cell.Lstm, stride);
        AssertMatchesReference(prob, cell, run);
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_matches_float64_central_differences(Cell cell, int b, int t, int i, int h, bool reverse, int[]? lengths, bool bias, bool h0, int stride)
    {
        bool lstm = cell == Cell.Lstm;
        var prob = RecurrentProblem.Create(23, new RecurrentShape(b, t, i, h, reverse), lstm ? 4 : 3, lengths, bias, h0);
        var run = RecurrentRunner.Run(prob, lstm, stride);
        double[][] numeric = RecurrentReference.NumericGradients(prob, lstm);
        for (int k = 0; k < numeric.Length; k++)
        {
            if (!lstm && k == 6) continue; // GRU has no cell state
            RecurrentReference.AssertGradient(numeric[k], run.Grads[k], $"{cell} {RecurrentProblem.Names[k]}");
        }
        // Not a vacuous check: the weight gradients carry signal.
        Assert.Contains(run.Grads[2], g => Math.Abs(g) > 1e-3);
    }

    [Theory]
    [InlineData(Cell.Lstm, false)]
    [InlineData(Cell.Lstm, true)]
    [InlineData(Cell.Gru, false)]
    [InlineData(Cell.Gru, true)]
    public void Larger_odd_shapes_match_reference_and_inference_matches_training(Cell cell, bool reverse)
    {
        bool lstm = cell == Cell.Lstm;
        var prob = RecurrentProblem.Create(5, new RecurrentShape(5, 9, 13, 37, reverse), lstm ? 4 : 3, [9, 1, 4, 8, 6]);
        var run = RecurrentRunner.Run(prob, lstm);
        AssertMatchesReference(prob, cell, run);
        var infer = RecurrentRunner.Infer(prob, lstm);
        Assert.Equal(run.Y, infer.Y);
        Assert.Equal(run.HN, infer.HN);
        Assert.Equal(run.CN, infer.CN);
    }

    [Theory]
    [InlineData(Cell.Lstm, false)]
    [InlineData(Cell.Lstm, true)]
    [InlineData(Cell.Gru, false)]
    [InlineData(Cell.Gru, true)]
    public void Padded_batch_equals_each_sequence_run_alone(Cell cell, bool reverse)
    {
        bool lstm = cell == Cell.Lstm;
        int[] lengths = [6, 3, 0, 5];
        int nb = lengths.Length, nt = 6, ni = 5, nh = 9;
        var batch = RecurrentProblem.Create(31, new RecurrentShape(nb, nt, ni, nh, reverse), lstm ? 4 : 3, lengths);
        var batchRun = RecurrentRunner.Run(batch, lstm);
        var weightGradSum = batch.Params.Select(p => new double[p.Length]).ToArray();
        for (int b = 0; b < nb; b++)
        {
            int len = lengths[b];
            var single = Slice(batch, b, len);
            var run = RecurrentRunner.Run(single, lstm);
            for (int t = 0; t < nt; t++)
                for (int j = 0; j < nh; j++)
                {
                    float expected = t < len ? run.Y[t * nh + j] : 0f;
                    Assert.Equal(expected, batchRun.Y[(b * nt + t) * nh + j], 1e-6f);
                }
            for (int j = 0; j < nh; j++)
            {
                Assert.Equal(run.HN[j], batchRun.HN[b * nh + j], 1e-6f);
                if (lstm) Assert.Equal(run.CN[j], batchRun.CN[b * nh + j], 1e-6f);
                Assert.Equal(run.Grads[5][j], batchRun.Grads[5][b * nh + j], 1e-6f);
            }
            for (int e = 0; e < len * ni; e++)
                Assert.Equal(run.Grads[0][e], batchRun.Grads[0][b * nt * ni + e], 1e-6f);
            for (int e = len * ni; e < nt * ni; e++)
                Assert.Equal(0f, batchRun.Grads[0][b * nt * ni + e]);
            for (int k = 1; k <= 4; k++)
                for (int e = 0; e < weightGradSum[k].Length; e++) weightGradSum[k][e] += run.Grads[k][e];
        }
        for (int k = 1; k <= 4; k++)
            RecurrentReference.AssertClose(weightGradSum[k], batchRun.Grads[k], 1e-5, $"summed {RecurrentProblem.Names[k]}");
    }

    [Theory]
    [InlineData(Cell.Lstm)]
    [InlineData(Cell.Gru)]
    public void Runs_are_bitwise_deterministic_and_vector_path_equals_scalar_path(Cell cell)
    {
        bool lstm = cell == Cell.Lstm;
        var prob = RecurrentProblem.Create(41, new RecurrentShape(3, 7, 6, 21, true), lstm ? 4 : 3, [7, 2, 5]);
        var pairs = new List<(RecurrentRun, RecurrentRun)> { (RecurrentRunner.Run(prob, lstm), RecurrentRunner.Run(prob, lstm)) };
        // The cell math is vectorised from V256 up and scalar below. V128's GEMM runs each element's FMA chain in the
        // same order as V256's (only the tile width differs), so where both run with FMA the whole results must agree
        // bit for bit: that compares the vector cell math against the scalar one. The switch is process-wide; this
        // class's collection runs alone, so no other test sees the forced level.
        if (Simd.IsSupported(SimdLevel.V256) && System.Runtime.Intrinsics.X86.Fma.IsSupported)
            pairs.Add((Run(SimdLevel.V256), Run(SimdLevel.V128)));
        foreach (var (first, other) in pairs)
        {
            Assert.Equal(first.Y, other.Y);
            Assert.Equal(first.HN, other.HN);
            Assert.Equal(first.CN, other.CN);
            for (int k = 0; k < first.Grads.Length; k++) Assert.Equal(first.Grads[k], other.Grads[k]);
        }

        RecurrentRun Run(SimdLevel level)
        {
            using (Simd.Force(level))
                return RecurrentRunner.Run(prob, lstm);
        }
    }

    [Fact]
    public void Empty_batch_and_zero_lengths_leave_initial_state()
    {
        var prob = RecurrentProblem.Create(3, new RecurrentShape(2, 4, 3, 5), 4, [0, 0]);
        var run = RecurrentRunner.Run(prob, lstm: true);
        Assert.Equal(prob.H0, run.HN);
        Assert.Equal(prob.C0, run.CN);
        Assert.All(run.Y, v => Assert.Equal(0f, v));
        Assert.Equal(prob.LossH, run.Grads[5]);
        Assert.Equal(prob.LossC, run.Grads[6]);
        Assert.All(run.Grads[1], v => Assert.Equal(0f, v));

        var empty = RecurrentProblem.Create(3, new RecurrentShape(0, 0, 3, 5), 3, null);
        var gru = RecurrentRunner.Run(empty, lstm: false);
        Assert.Empty(gru.HN);
    }

    [Fact]
    public void Gradients_accumulate_into_existing_values()
    {
        var prob = RecurrentProblem.Create(8, new RecurrentShape(2, 3, 4, 5), 4, null);
        var run = RecurrentRunner.Run(prob, lstm: true);
        var s = prob.Shape;
        var ws = new float[LstmKernel.WorkspaceLength(s)];
        var y = new float[2 * 3 * 5];
        LstmKernel.Forward(s, prob.X, [], prob.WeightIh, prob.WeightHh, prob.BiasIh, prob.BiasHh, prob.H0, prob.C0, y, 5, [], [], ws);
        var dWhh = Enumerable.Repeat(1f, prob.WeightHh.Length).ToArray();
        LstmKernel.Backward(s, prob.X, [], prob.WeightIh, prob.WeightHh, ws, prob.LossY, 5, prob.LossH, prob.LossC,
            [], [], [], [], dWhh, [], []);
        for (int e = 0; e < dWhh.Length; e++) Assert.Equal(run.Grads[2][e] + 1f, dWhh[e], 1e-6f);
    }

    [Fact]
    public void Bad_arguments_name_the_op_and_the_shapes()
    {
        var prob = RecurrentProblem.Create(1, new RecurrentShape(2, 3, 4, 5), 4, null);
        var s = prob.Shape;
        var y = new float[2 * 3 * 5];
        var ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(s, prob.X, [3, 4], prob.WeightIh, prob.WeightHh,
            prob.BiasIh, prob.BiasHh, [], [], y, 5, [], [], []));
        Assert.Contains("LstmKernel.Forward", ex.Message);
        Assert.Contains("lengths[1] = 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GruKernel.Forward(s, prob.X, [], prob.WeightIh, prob.WeightHh,
            [], [], [], y, 5, [], []));
        Assert.Contains("GruKernel.Forward", ex.Message);
        Assert.Contains("weight_ih holds 80 floats, expected 60", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Forward(s, prob.X, [], prob.WeightIh, prob.WeightHh,
            [], [], [], [], y, 4, [], [], []));
        Assert.Contains("leading dimension of y is 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => LstmKernel.Backward(s, prob.X, [], prob.WeightIh, prob.WeightHh,
            new float[3], [], 5, [], [], [], [], [], [], [], [], []));
        Assert.Contains("LstmKernel.Backward: workspace holds 3 floats", ex.Message);
    }

    private static void AssertMatchesReference(RecurrentProblem prob, Cell cell, RecurrentRun run)
    {
        double[][] p = prob.ParamsAsDouble();
        if (cell == Cell.Lstm)
        {
            var (y, hN, cN) = RecurrentReference.Lstm(prob.Shape, prob.EffectiveLengths, p);
            RecurrentReference.AssertClose(y, run.Y, RecurrentTolerance.Forward, "lstm y");
            RecurrentReference.AssertClose(hN, run.HN, RecurrentTolerance.Forward, "lstm hN");
            RecurrentReference.AssertClose(cN, run.CN, RecurrentTolerance.Forward, "lstm cN");
        }
        else
        {
            var (y, hN) = RecurrentReference.Gru(prob.Shape, prob.EffectiveLengths, p);
            RecurrentReference.AssertClose(y, run.Y, RecurrentTolerance.Forward, "gru y");
            RecurrentReference.AssertClose(hN, run.HN, RecurrentTolerance.Forward, "gru hN");
        }
    }

    // Sequence b of a batch as a batch of one with T = its length.
    private static RecurrentProblem Slice(RecurrentProblem batch, int b, int len)
    {
        var s = batch.Shape;
        int ni = s.InputSize, nh = s.HiddenSize, nt = s.SeqLen;
        float[] Rows(float[] src, int width, int count, int start) => src.AsSpan(start * width, count * width).ToArray();
        return new RecurrentProblem
        {
            Shape = s with { Batch = 1, SeqLen = len },
            Gates = batch.Gates,
            Lengths = null,
            Params =
            [
                Rows(batch.X, ni, len, b * nt),
                batch.WeightIh, batch.WeightHh, batch.BiasIh, batch.BiasHh,
                Rows(batch.H0, nh, 1, b),
                Rows(batch.C0, nh, 1, b),
            ],
            LossY = Rows(batch.LossY, nh, len, b * nt),
            LossH = Rows(batch.LossH, nh, 1, b),
            LossC = Rows(batch.LossC, nh, 1, b),
        };
    }
}
