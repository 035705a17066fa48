using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Recurrent;

internal sealed record RecurrentRun(float[] Y, float[] HN, float[] CN, float[][] Grads);

/// <summary>Runs the kernels on a <see cref="RecurrentProblem"/>: forward, then backward of its loss.</summary>
internal static class RecurrentRunner
{
    /// <summary>
    /// Runs forward and backward with the output written at row stride <paramref name="ldy"/> (≥ H, so the
    /// strided path is exercised) and extracts a compact (B, T, H) copy.
    /// </summary>
    public static RecurrentRun Run(RecurrentProblem prob, bool lstm, int extraStride = 0)
    {
        var s = prob.Shape;
        int h = s.HiddenSize, ld = h + extraStride;
        long rows = (long)s.Batch * s.SeqLen;
        var yStrided = new float[rows * ld];
        // Non-zero filler in the unused columns proves the kernel leaves them alone.
        Array.Fill(yStrided, 7f);
        var hN = new float[s.Batch * h];
        var cN = lstm ? new float[s.Batch * h] : [];
        var ws = new float[lstm ? LstmKernel.WorkspaceLength(s) : GruKernel.WorkspaceLength(s)];
        ReadOnlySpan<int> lens = prob.Lengths;
        if (lstm)
            LstmKernel.Forward(s, prob.X, lens, prob.WeightIh, prob.WeightHh, prob.BiasIh, prob.BiasHh,
                prob.H0, prob.C0, yStrided, ld, hN, cN, ws);
        else
            GruKernel.Forward(s, prob.X, lens, prob.WeightIh, prob.WeightHh, prob.BiasIh, prob.BiasHh,
                prob.H0, yStrided, ld, hN, ws);

        var y = new float[rows * h];
        for (long r = 0; r < rows; r++)
        {
            Array.Copy(yStrided, r * ld, y, r * h, h);
            for (int j = h; j < ld; j++) Assert.Equal(7f, yStrided[r * ld + j]);
        }

        var dyStrided = new float[rows * ld];
        for (long r = 0; r < rows; r++) Array.Copy(prob.LossY, r * h, dyStrided, r * ld, h);
        var grads = prob.Params.Select(p => new float[p.Length]).ToArray();
        if (lstm)
            LstmKernel.Backward(s, prob.X, lens, prob.WeightIh, prob.WeightHh, ws, dyStrided, ld, prob.LossH, prob.LossC,
                grads[0], grads[5], grads[6], grads[1], grads[2], grads[3], grads[4]);
        else
            GruKernel.Backward(s, prob.X, lens, prob.WeightIh, prob.WeightHh, ws, dyStrided, ld, prob.LossH,
                grads[0], grads[5], grads[1], grads[2], grads[3], grads[4]);
        return new RecurrentRun(y, hN, cN, grads);
    }

    /// <summary>Inference forward (no workspace) returning (B, T, H) outputs and final states.</summary>
    public static RecurrentRun Infer(RecurrentProblem prob, bool lstm)
    {
        var s = prob.Shape;
        var y = new float[(long)s.Batch * s.SeqLen * s.HiddenSize];
        var hN = new float[s.Batch * s.HiddenSize];
        var cN = lstm ? new float[s.Batch * s.HiddenSize] : [];
        if (lstm)
            LstmKernel.Forward(s, prob.X, prob.Lengths, prob.WeightIh, prob.WeightHh, prob.BiasIh, prob.BiasHh,
                prob.H0, prob.C0, y, s.HiddenSize, hN, cN, []);
        else
            GruKernel.Forward(s, prob.X, prob.Lengths, prob.WeightIh, prob.WeightHh, prob.BiasIh, prob.BiasHh,
                prob.H0, y, s.HiddenSize, hN, []);
        return new RecurrentRun(y, hN, cN, []);
    }
}
