namespace TinyLM.Kernels;

/// <summary>
/// Inference-only LSTM or GRU layer (one direction) whose two weight matrices may be in any
/// <see cref="IWeightMatrix"/> format (int8, Q8_0/Q4_0 blocks, float32). Same semantics as
/// <see cref="LstmKernel.Forward"/>/<see cref="GruKernel.Forward"/> with zero initial state: the input projection of all
/// steps is one matrix product, each step one product for the whole batch, then the training kernel's fused cell update.
/// </summary>
public static unsafe class QuantizedRecurrentKernel
{
    private const string Op = "QuantizedRecurrentKernel.Forward";

    /// <param name="lstm">An LSTM cell (gates i, f, g, o) when true, a GRU cell (gates r, z, n) when false.</param>
    /// <param name="shape">Sizes and direction.</param>
    /// <param name="x">(B, T, I) inputs.</param>
    /// <param name="lengths">(B) valid prefix lengths, or empty for all T.</param>
    /// <param name="weightIh">(G·H, I), G = 4 (LSTM) or 3 (GRU).</param>
    /// <param name="weightHh">(G·H, H).</param>
    /// <param name="biasIh">(G·H) bias_ih, or empty.</param>
    /// <param name="biasHh">(G·H) bias_hh, or empty.</param>
    /// <param name="y">(B, T, ldy) outputs (first H columns written, zero at padding), or empty.</param>
    /// <param name="ldy">Row stride of <paramref name="y"/>.</param>
    /// <param name="hN">(B, H) hidden state after each sequence's last valid step, or empty.</param>
    public static void Forward(bool lstm, RecurrentShape shape, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        IWeightMatrix weightIh, IWeightMatrix weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        Span<float> y, int ldy, Span<float> hN)
    {
        ArgumentNullException.ThrowIfNull(weightIh);
        ArgumentNullException.ThrowIfNull(weightHh);
        shape.Validate(Op);
        int batch = shape.Batch, seqLen = shape.SeqLen, hidden = shape.HiddenSize, g = (lstm ? 4 : 3) * hidden;
        long rows = (long)batch * seqLen, bh = (long)batch * hidden;
        if (weightIh.Rows != g || weightIh.Cols != shape.InputSize || weightHh.Rows != g || weightHh.Cols != hidden)
            throw new ArgumentException($"{Op}: {(lstm ? "LSTM" : "GRU")} weights are ({weightIh.Rows}, {weightIh.Cols}) and ({weightHh.Rows}, {weightHh.Cols}), expected ({g}, {shape.InputSize}) and ({g}, {hidden}) for {shape}.");
        RecurrentCommon.Required(Op, "x", x.Length, rows * shape.InputSize, shape);
        RecurrentCommon.Optional(Op, "bias_ih", biasIh.Length, g, shape);
        bool hasBiasHh = RecurrentCommon.Optional(Op, "bias_hh", biasHh.Length, g, shape);
        bool hasY = RecurrentCommon.Strided(Op, "y", y.Length, ldy, shape, optional: true);
        bool hasHN = RecurrentCommon.Optional(Op, "hN", hN.Length, bh, shape);
        int maxLen = RecurrentCommon.MaxLength(Op, lengths, shape);
        Span<int> lens = batch <= 256 ? stackalloc int[batch] : new int[batch];
        RecurrentCommon.FillLengths(lengths, shape, lens);

        // The LSTM adds both biases to the input projection; the GRU keeps b_hh inside r ⊙ (W_hn h + b_hn), so it goes
        // with each step's recurrent product.
        ReadOnlySpan<float> inputBias = lstm && hasBiasHh ? SumOf(biasIh, biasHh) : biasIh;
        ReadOnlySpan<float> recurrentBias = lstm ? default : biasHh;

        using var xproj = PinnedScratch.Rent(Math.Max(rows, 1) * g, clear: false);
        // h (and c) double buffers, the step's recurrent product, and the GRU cell's saved values (unused here).
        using var state = PinnedScratch.Rent(4 * bh + (long)batch * g + (lstm ? 0 : 4 * bh), clear: true);
        var xprojSpan = new Span<float>(xproj.Ptr, (int)(Math.Max(rows, 1) * g));
        if (maxLen > 0) weightIh.Multiply((int)rows, x, inputBias, xprojSpan);
        float* hHist = state.Ptr, cHist = state.Ptr + 2 * bh, gates = state.Ptr + 4 * bh, saved = gates + (long)batch * g;
        var gatesSpan = new Span<float>(gates, batch * g);
        fixed (float* py = y)
        {
            if (hasY) RecurrentCommon.ZeroPadding(py, ldy, lens, shape);
            float* hPrev = hHist, cPrev = cHist;
            for (int s = 0; s < maxLen; s++)
            {
                float* hCur = hHist + ((s + 1) & 1) * bh, cCur = cHist + ((s + 1) & 1) * bh;
                if (s > 0) weightHh.Multiply(batch, new ReadOnlySpan<float>(hPrev, (int)bh), recurrentBias, gatesSpan);
                else if (recurrentBias.IsEmpty) gatesSpan.Clear();
                else for (int b = 0; b < batch; b++) recurrentBias.CopyTo(gatesSpan.Slice(b * g, g));
                for (int b = 0; b < batch; b++)
                {
                    long o = (long)b * hidden;
                    int pos = RecurrentCommon.Position(s, lens[b], shape.Reverse);
                    if (pos < 0)
                    {
                        new Span<float>(hPrev + o, hidden).CopyTo(new Span<float>(hCur + o, hidden));
                        if (lstm) new Span<float>(cPrev + o, hidden).CopyTo(new Span<float>(cCur + o, hidden));
                        continue;
                    }
                    long row = (long)b * seqLen + pos;
                    if (lstm) LstmKernel.CellForward(gates + (long)b * g, xproj.Ptr + row * g, cPrev + o, hCur + o, cCur + o, hidden);
                    else GruKernel.CellForward(gates + (long)b * g, xproj.Ptr + row * g, hPrev + o, hCur + o, saved + 4 * o, hidden);
                    if (hasY) new Span<float>(hCur + o, hidden).CopyTo(new Span<float>(py + row * ldy, hidden));
                }
                hPrev = hCur;
                cPrev = cCur;
            }
            if (hasHN) new Span<float>(hPrev, (int)bh).CopyTo(hN);
        }
    }

    // bias_ih + bias_hh (bias_ih may be empty).
    private static float[] SumOf(ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh)
    {
        var sum = biasHh.ToArray();
        if (!biasIh.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(biasIh, sum, sum);
        return sum;
    }
}
