namespace TinyLM.Kernels;

/// <summary>
/// Inference-only LSTM layer (one direction) whose two weight matrices may be in any
/// <see cref="IWeightMatrix"/> format (int8, Q8_0/Q4_0 blocks, float32). Same semantics as
/// <see cref="LstmKernel.Forward"/> with zero initial state: the input projection of all steps is one
/// matrix product, each step one product for the whole batch, then the shared fused cell update.
/// </summary>
public static unsafe class QuantizedLstmKernel
{
    private const string Op = "QuantizedLstmKernel.Forward";

    /// <param name="shape">Sizes and direction.</param>
    /// <param name="x">(B, T, I) inputs.</param>
    /// <param name="lengths">(B) valid prefix lengths, or empty for all T.</param>
    /// <param name="weightIh">(4H, I).</param>
    /// <param name="weightHh">(4H, H).</param>
    /// <param name="bias">(4H) bias_ih + bias_hh, or empty.</param>
    /// <param name="y">(B, T, ldy) outputs (first H columns written, zero at padding), or empty.</param>
    /// <param name="ldy">Row stride of <paramref name="y"/>.</param>
    /// <param name="hN">(B, H) hidden state after each sequence's last valid step, or empty.</param>
    public static void Forward(RecurrentShape shape, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        IWeightMatrix weightIh, IWeightMatrix weightHh, ReadOnlySpan<float> bias, Span<float> y, int ldy, Span<float> hN)
    {
        ArgumentNullException.ThrowIfNull(weightIh);
        ArgumentNullException.ThrowIfNull(weightHh);
        shape.Validate(Op);
        int batch = shape.Batch, seqLen = shape.SeqLen, hidden = shape.HiddenSize, g4 = 4 * hidden;
        long rows = (long)batch * seqLen, bh = (long)batch * hidden;
        if (weightIh.Rows != g4 || weightIh.Cols != shape.InputSize || weightHh.Rows != g4 || weightHh.Cols != hidden)
            throw new ArgumentException($"{Op}: weights are ({weightIh.Rows}, {weightIh.Cols}) and ({weightHh.Rows}, {weightHh.Cols}), expected ({g4}, {shape.InputSize}) and ({g4}, {hidden}) for {shape}.");
        RecurrentCommon.Required(Op, "x", x.Length, rows * shape.InputSize, shape);
        bool hasBias = RecurrentCommon.Optional(Op, "bias", bias.Length, g4, shape);
        bool hasY = RecurrentCommon.Strided(Op, "y", y.Length, ldy, shape, optional: true);
        bool hasHN = RecurrentCommon.Optional(Op, "hN", hN.Length, bh, shape);
        int maxLen = RecurrentCommon.MaxLength(Op, lengths, shape);
        Span<int> lens = batch <= 256 ? stackalloc int[batch] : new int[batch];
        RecurrentCommon.FillLengths(lengths, shape, lens);

        using var xproj = PinnedScratch.Rent(Math.Max(rows, 1) * g4, clear: false);
        using var state = PinnedScratch.Rent(4 * bh + (long)batch * g4, clear: true);
        var xprojSpan = new Span<float>(xproj.Ptr, (int)(Math.Max(rows, 1) * g4));
        if (maxLen > 0) weightIh.Multiply((int)rows, x, hasBias ? bias : default, xprojSpan);
        float* hHist = state.Ptr, cHist = state.Ptr + 2 * bh, gates = state.Ptr + 4 * bh;
        var gatesSpan = new Span<float>(gates, batch * g4);
        fixed (float* py = y)
        {
            if (hasY) RecurrentCommon.ZeroPadding(py, ldy, lens, shape);
            float* hPrev = hHist, cPrev = cHist;
            for (int s = 0; s < maxLen; s++)
            {
                float* hCur = hHist + ((s + 1) & 1) * bh, cCur = cHist + ((s + 1) & 1) * bh;
                if (s == 0) gatesSpan.Clear();
                else weightHh.Multiply(batch, new ReadOnlySpan<float>(hPrev, (int)bh), default, gatesSpan);
                for (int b = 0; b < batch; b++)
                {
                    long o = (long)b * hidden;
                    int pos = RecurrentCommon.Position(s, lens[b], shape.Reverse);
                    if (pos < 0)
                    {
                        new Span<float>(hPrev + o, hidden).CopyTo(new Span<float>(hCur + o, hidden));
                        new Span<float>(cPrev + o, hidden).CopyTo(new Span<float>(cCur + o, hidden));
                        continue;
                    }
                    long row = (long)b * seqLen + pos;
                    LstmKernel.CellForward(gates + (long)b * g4, xproj.Ptr + row * g4, cPrev + o, hCur + o, cCur + o, hidden);
                    if (hasY) new Span<float>(hCur + o, hidden).CopyTo(new Span<float>(py + row * ldy, hidden));
                }
                hPrev = hCur;
                cPrev = cCur;
            }
            if (hasHN) new Span<float>(hPrev, (int)bh).CopyTo(hN);
        }
    }
}
