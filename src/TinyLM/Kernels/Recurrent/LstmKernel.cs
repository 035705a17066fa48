using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Fused single-layer, single-direction LSTM over a padded batch, with PyTorch's parameter layout
/// (weight_ih (4H, I), weight_hh (4H, H), bias_ih (4H), bias_hh (4H); gate rows in the order i, f, g, o)
/// so checkpoints interoperate.
/// <para>
/// Forward: the input projection of every time step is one GEMM, X (B·T, I) · W_ihᵀ; each step is then
/// one GEMM for the whole batch and all four gates, h_{t-1} (B, H) · W_hhᵀ, and a vectorised cell update.
/// Sequences shorter than T carry their state unchanged past their length, and their padded outputs are
/// zero, so a padded batch gives the same results as each sequence alone; in reverse each sequence
/// starts at its own last valid token.
/// </para>
/// <para>
/// Backward is backpropagation through time in one call: one GEMM per step for the recurrent gradient,
/// then dW_hh, dW_ih and dX each as one GEMM over all time steps stacked.
/// </para>
/// </summary>
public static unsafe class LstmKernel
{
    private const string ForwardOp = "LstmKernel.Forward";
    private const string BackwardOp = "LstmKernel.Backward";

    /// <summary>
    /// Floats that <see cref="Forward"/> saves for <see cref="Backward"/>: activated gates per step
    /// (T, B, 4H), then hidden and cell states per step including the initial ones, (T+1, B, H) each.
    /// </summary>
    public static long WorkspaceLength(RecurrentShape shape) =>
        (long)shape.SeqLen * shape.Batch * 4 * shape.HiddenSize + 2L * (shape.SeqLen + 1) * shape.Batch * shape.HiddenSize;

    /// <summary>
    /// Runs the layer. Optional spans may be empty: <paramref name="lengths"/> (all T), biases (zero),
    /// <paramref name="h0"/>/<paramref name="c0"/> (zero), <paramref name="y"/>, <paramref name="hN"/>,
    /// <paramref name="cN"/> (not written) and <paramref name="workspace"/> (inference: nothing saved).
    /// </summary>
    /// <param name="shape">Sizes and direction.</param>
    /// <param name="x">(B, T, I) inputs.</param>
    /// <param name="lengths">(B) valid prefix length of each sequence, each in [0, T].</param>
    /// <param name="weightIh">(4H, I).</param>
    /// <param name="weightHh">(4H, H).</param>
    /// <param name="biasIh">(4H).</param>
    /// <param name="biasHh">(4H).</param>
    /// <param name="h0">(B, H) initial hidden state.</param>
    /// <param name="c0">(B, H) initial cell state.</param>
    /// <param name="y">(B, T, ldy) outputs; the first H columns of each row are written.</param>
    /// <param name="ldy">Row stride of <paramref name="y"/> (2H lets both directions share one buffer).</param>
    /// <param name="hN">(B, H) hidden state after each sequence's last valid step.</param>
    /// <param name="cN">(B, H) cell state likewise.</param>
    /// <param name="workspace"><see cref="WorkspaceLength"/> floats kept for <see cref="Backward"/>.</param>
    public static void Forward(RecurrentShape shape, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        Span<float> y, int ldy, Span<float> hN, Span<float> cN, Span<float> workspace)
    {
        shape.Validate(ForwardOp);
        int batch = shape.Batch, seqLen = shape.SeqLen, inputSize = shape.InputSize, hidden = shape.HiddenSize, g4 = 4 * hidden;
        long rows = (long)batch * seqLen, bh = (long)batch * hidden;
        RecurrentCommon.Required(ForwardOp, "x", x.Length, rows * inputSize, shape);
        RecurrentCommon.Required(ForwardOp, "weight_ih", weightIh.Length, (long)g4 * inputSize, shape);
        RecurrentCommon.Required(ForwardOp, "weight_hh", weightHh.Length, (long)g4 * hidden, shape);
        bool hasBiasIh = RecurrentCommon.Optional(ForwardOp, "bias_ih", biasIh.Length, g4, shape);
        bool hasBiasHh = RecurrentCommon.Optional(ForwardOp, "bias_hh", biasHh.Length, g4, shape);
        bool hasH0 = RecurrentCommon.Optional(ForwardOp, "h0", h0.Length, bh, shape);
        bool hasC0 = RecurrentCommon.Optional(ForwardOp, "c0", c0.Length, bh, shape);
        bool hasY = RecurrentCommon.Strided(ForwardOp, "y", y.Length, ldy, shape, optional: true);
        bool hasHN = RecurrentCommon.Optional(ForwardOp, "hN", hN.Length, bh, shape);
        bool hasCN = RecurrentCommon.Optional(ForwardOp, "cN", cN.Length, bh, shape);
        bool save = RecurrentCommon.Optional(ForwardOp, "workspace", workspace.Length, WorkspaceLength(shape), shape);
        int maxLen = RecurrentCommon.MaxLength(ForwardOp, lengths, shape);
        Span<int> lens = batch <= 256 ? stackalloc int[batch] : new int[batch];
        RecurrentCommon.FillLengths(lengths, shape, lens);

        using var xproj = PinnedScratch.Rent(Math.Max(rows, 1) * g4, clear: false);
        using var temp = PinnedScratch.Rent(save ? 0 : bh * 4 + (long)batch * g4, clear: false);
        using var whhT = PinnedScratch.Rent((long)hidden * g4, clear: false);
        fixed (float* px = x, pwih = weightIh, pwhh = weightHh, pbih = biasIh, pbhh = biasHh)
        fixed (float* ph0 = h0, pc0 = c0, py = y, phN = hN, pcN = cN, pws = workspace)
        {
            RecurrentCommon.Transpose(pwhh, g4, hidden, whhT.Ptr); // (H, 4H)
            // Inference keeps two hidden/cell buffers and swaps them; training keeps every step.
            float* gatesBase = save ? pws : temp.Ptr;
            float* hHist = save ? pws + (long)seqLen * batch * g4 : temp.Ptr + (long)batch * g4;
            float* cHist = save ? hHist + (seqLen + 1) * bh : hHist + 2 * bh;
            if (hasH0) new ReadOnlySpan<float>(ph0, (int)bh).CopyTo(new Span<float>(hHist, (int)bh));
            else new Span<float>(hHist, (int)bh).Clear();
            if (hasC0) new ReadOnlySpan<float>(pc0, (int)bh).CopyTo(new Span<float>(cHist, (int)bh));
            else new Span<float>(cHist, (int)bh).Clear();
            if (hasY) RecurrentCommon.ZeroPadding(py, ldy, lens, shape);

            if (maxLen > 0)
            {
                // One GEMM projects every time step's input; both biases are folded in up front.
                RecurrentCommon.FillBias(xproj.Ptr, rows, g4, hasBiasIh ? pbih : null, hasBiasHh ? pbhh : null);
                Gemm.Multiply(false, true, (int)rows, g4, inputSize, 1f, px, inputSize, pwih, inputSize, 1f, xproj.Ptr, g4);
            }

            float* hPrev = hHist, cPrev = cHist;
            for (int s = 0; s < maxLen; s++)
            {
                float* gates = save ? gatesBase + (long)s * batch * g4 : gatesBase;
                float* hCur = save ? hHist + (s + 1) * bh : hHist + ((s + 1) & 1) * bh;
                float* cCur = save ? cHist + (s + 1) * bh : cHist + ((s + 1) & 1) * bh;
                if (s == 0 && !hasH0) new Span<float>(gates, batch * g4).Clear();
                else Gemm.Multiply(false, false, batch, g4, hidden, 1f, hPrev, hidden, whhT.Ptr, g4, 0f, gates, g4);
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
                    CellForward(gates + (long)b * g4, xproj.Ptr + row * g4, cPrev + o, hCur + o, cCur + o, hidden);
                    if (hasY) new Span<float>(hCur + o, hidden).CopyTo(new Span<float>(py + row * ldy, hidden));
                }
                hPrev = hCur;
                cPrev = cCur;
            }
            if (hasHN) new Span<float>(hPrev, (int)bh).CopyTo(hN);
            if (hasCN) new Span<float>(cPrev, (int)bh).CopyTo(cN);
        }
    }

    /// <summary>
    /// Backpropagation through time for a <see cref="Forward"/> call made with the same shape, inputs,
    /// lengths and weights, whose <paramref name="workspace"/> it reads (and leaves intact). Every
    /// gradient output is added to, never overwritten, and may be empty when not wanted.
    /// </summary>
    /// <param name="dy">(B, T, lddy) gradient of the outputs, or empty.</param>
    /// <param name="lddy">Row stride of <paramref name="dy"/>.</param>
    /// <param name="dhN">(B, H) gradient of the final hidden state, or empty.</param>
    /// <param name="dcN">(B, H) gradient of the final cell state, or empty.</param>
    /// <param name="dx">(B, T, I) input gradient.</param>
    /// <param name="dh0">(B, H).</param>
    /// <param name="dc0">(B, H).</param>
    /// <param name="dWeightIh">(4H, I).</param>
    /// <param name="dWeightHh">(4H, H).</param>
    /// <param name="dBiasIh">(4H).</param>
    /// <param name="dBiasHh">(4H).</param>
    public static void Backward(RecurrentShape shape, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> workspace,
        ReadOnlySpan<float> dy, int lddy, ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN,
        Span<float> dx, Span<float> dh0, Span<float> dc0,
        Span<float> dWeightIh, Span<float> dWeightHh, Span<float> dBiasIh, Span<float> dBiasHh)
    {
        shape.Validate(BackwardOp);
        int batch = shape.Batch, seqLen = shape.SeqLen, inputSize = shape.InputSize, hidden = shape.HiddenSize, g4 = 4 * hidden;
        long rows = (long)batch * seqLen, bh = (long)batch * hidden;
        RecurrentCommon.Required(BackwardOp, "x", x.Length, rows * inputSize, shape);
        RecurrentCommon.Required(BackwardOp, "weight_ih", weightIh.Length, (long)g4 * inputSize, shape);
        RecurrentCommon.Required(BackwardOp, "weight_hh", weightHh.Length, (long)g4 * hidden, shape);
        RecurrentCommon.Required(BackwardOp, "workspace", workspace.Length, WorkspaceLength(shape), shape);
        bool hasDy = RecurrentCommon.Strided(BackwardOp, "dy", dy.Length, lddy, shape, optional: true);
        bool hasDhN = RecurrentCommon.Optional(BackwardOp, "dhN", dhN.Length, bh, shape);
        bool hasDcN = RecurrentCommon.Optional(BackwardOp, "dcN", dcN.Length, bh, shape);
        bool hasDx = RecurrentCommon.Optional(BackwardOp, "dx", dx.Length, rows * inputSize, shape);
        bool hasDh0 = RecurrentCommon.Optional(BackwardOp, "dh0", dh0.Length, bh, shape);
        bool hasDc0 = RecurrentCommon.Optional(BackwardOp, "dc0", dc0.Length, bh, shape);
        bool hasDWih = RecurrentCommon.Optional(BackwardOp, "dweight_ih", dWeightIh.Length, (long)g4 * inputSize, shape);
        bool hasDWhh = RecurrentCommon.Optional(BackwardOp, "dweight_hh", dWeightHh.Length, (long)g4 * hidden, shape);
        bool hasDBih = RecurrentCommon.Optional(BackwardOp, "dbias_ih", dBiasIh.Length, g4, shape);
        bool hasDBhh = RecurrentCommon.Optional(BackwardOp, "dbias_hh", dBiasHh.Length, g4, shape);
        int maxLen = RecurrentCommon.MaxLength(BackwardOp, lengths, shape);
        Span<int> lens = batch <= 256 ? stackalloc int[batch] : new int[batch];
        RecurrentCommon.FillLengths(lengths, shape, lens);

        // dG: gate pre-activation gradients by step (maxLen, B, 4H), for the recurrent GEMMs;
        // dXp: the same values by input position (B, T, 4H), zero at padding, for the input-side GEMMs.
        using var dG = PinnedScratch.Rent((long)maxLen * batch * g4, clear: false);
        using var dXp = PinnedScratch.Rent(rows * g4, clear: true);
        using var state = PinnedScratch.Rent(2 * bh, clear: true);
        fixed (float* px = x, pwih = weightIh, pwhh = weightHh, pws = workspace, pdy = dy, pdhN = dhN, pdcN = dcN)
        {
            float* hHist = pws + (long)seqLen * batch * g4;
            float* cHist = hHist + (seqLen + 1) * bh;
            float* dh = state.Ptr, dc = state.Ptr + bh;
            if (hasDhN) new ReadOnlySpan<float>(pdhN, (int)bh).CopyTo(new Span<float>(dh, (int)bh));
            if (hasDcN) new ReadOnlySpan<float>(pdcN, (int)bh).CopyTo(new Span<float>(dc, (int)bh));

            for (int s = maxLen - 1; s >= 0; s--)
            {
                float* gates = pws + (long)s * batch * g4;
                float* dGs = dG.Ptr + (long)s * batch * g4;
                float* cPrev = cHist + s * bh, cCur = cHist + (s + 1) * bh;
                for (int b = 0; b < batch; b++)
                {
                    long o = (long)b * hidden;
                    int pos = RecurrentCommon.Position(s, lens[b], shape.Reverse);
                    if (pos < 0)
                    {
                        // Past the end the state was copied, so its gradient passes through untouched.
                        new Span<float>(dGs + (long)b * g4, g4).Clear();
                        continue;
                    }
                    long row = (long)b * seqLen + pos;
                    if (hasDy)
                        TensorPrimitives.Add(new ReadOnlySpan<float>(dh + o, hidden),
                            new ReadOnlySpan<float>(pdy + row * lddy, hidden), new Span<float>(dh + o, hidden));
                    CellBackward(gates + (long)b * g4, cPrev + o, cCur + o, dh + o, dc + o, dGs + (long)b * g4, hidden);
                    new Span<float>(dGs + (long)b * g4, g4).CopyTo(new Span<float>(dXp.Ptr + row * g4, g4));
                }
                Gemm.Multiply(false, false, batch, hidden, g4, 1f, dGs, g4, pwhh, hidden, 1f, dh, hidden);
            }
            if (hasDh0) TensorPrimitives.Add(dh0, new ReadOnlySpan<float>(dh, (int)bh), dh0);
            if (hasDc0) TensorPrimitives.Add(dc0, new ReadOnlySpan<float>(dc, (int)bh), dc0);
            if (maxLen == 0) return;

            long steps = (long)maxLen * batch;
            fixed (float* pdWhh = dWeightHh, pdWih = dWeightIh, pdx = dx)
            {
                // Σ_t dgates_tᵀ · h_{t-1}: the step-major history is already stacked for one GEMM.
                if (hasDWhh) Gemm.Multiply(true, false, g4, hidden, (int)steps, 1f, dG.Ptr, g4, hHist, hidden, 1f, pdWhh, hidden);
                if (hasDWih) Gemm.Multiply(true, false, g4, inputSize, (int)rows, 1f, dXp.Ptr, g4, px, inputSize, 1f, pdWih, inputSize);
                if (hasDx) Gemm.Multiply(false, false, (int)rows, inputSize, g4, 1f, dXp.Ptr, g4, pwih, inputSize, 1f, pdx, inputSize);
            }
            if (hasDBih) RecurrentCommon.AddColumnSums(dG.Ptr, steps, g4, dBiasIh);
            if (hasDBhh) RecurrentCommon.AddColumnSums(dG.Ptr, steps, g4, dBiasHh);
        }
    }

    // gates: in = GEMM result (h·W_hhᵀ), out = activated i, f, g, o kept for backward.
    // xp: the input projection row with both biases.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CellForward(float* gates, float* xp, float* cPrev, float* h, float* c, int hidden)
    {
        float* gi = gates, gf = gates + hidden, gg = gates + 2 * hidden, go = gates + 3 * hidden;
        float* xi = xp, xf = xp + hidden, xg = xp + 2 * hidden, xo = xp + 3 * hidden;
        int j = 0;
        if (RecurrentMath.UseVector256)
        {
            for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var i = RecurrentMath.Sigmoid(Vector256.Load(gi + j) + Vector256.Load(xi + j));
                var f = RecurrentMath.Sigmoid(Vector256.Load(gf + j) + Vector256.Load(xf + j));
                var g = RecurrentMath.Tanh(Vector256.Load(gg + j) + Vector256.Load(xg + j));
                var o = RecurrentMath.Sigmoid(Vector256.Load(go + j) + Vector256.Load(xo + j));
                var cv = Vector256.FusedMultiplyAdd(f, Vector256.Load(cPrev + j), i * g);
                (o * RecurrentMath.Tanh(cv)).Store(h + j);
                cv.Store(c + j);
                i.Store(gi + j);
                f.Store(gf + j);
                g.Store(gg + j);
                o.Store(go + j);
            }
        }
        for (; j < hidden; j++)
        {
            float i = RecurrentMath.Sigmoid(gi[j] + xi[j]);
            float f = RecurrentMath.Sigmoid(gf[j] + xf[j]);
            float g = RecurrentMath.Tanh(gg[j] + xg[j]);
            float o = RecurrentMath.Sigmoid(go[j] + xo[j]);
            float cv = MathF.FusedMultiplyAdd(f, cPrev[j], i * g);
            h[j] = o * RecurrentMath.Tanh(cv);
            c[j] = cv;
            gi[j] = i;
            gf[j] = f;
            gg[j] = g;
            go[j] = o;
        }
    }

    // dh: in = total gradient of h_t, out = 0 (the caller adds the recurrent part with a GEMM).
    // dc: in = gradient of c_t from later steps, out = gradient of c_{t-1}.
    // dGates: out = gradients of the i, f, g, o pre-activations.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CellBackward(float* gates, float* cPrev, float* c, float* dh, float* dc, float* dGates, int hidden)
    {
        float* gi = gates, gf = gates + hidden, gg = gates + 2 * hidden, go = gates + 3 * hidden;
        float* di = dGates, df = dGates + hidden, dg = dGates + 2 * hidden, dO = dGates + 3 * hidden;
        int j = 0;
        if (RecurrentMath.UseVector256)
        {
            var one = Vector256<float>.One;
            for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var i = Vector256.Load(gi + j);
                var f = Vector256.Load(gf + j);
                var g = Vector256.Load(gg + j);
                var o = Vector256.Load(go + j);
                var dhv = Vector256.Load(dh + j);
                var tc = RecurrentMath.Tanh(Vector256.Load(c + j));
                var dcv = Vector256.Load(dc + j) + dhv * o * (one - tc * tc);
                (dcv * g * i * (one - i)).Store(di + j);
                (dcv * Vector256.Load(cPrev + j) * f * (one - f)).Store(df + j);
                (dcv * i * (one - g * g)).Store(dg + j);
                (dhv * tc * o * (one - o)).Store(dO + j);
                (dcv * f).Store(dc + j);
                Vector256<float>.Zero.Store(dh + j);
            }
        }
        for (; j < hidden; j++)
        {
            float i = gi[j], f = gf[j], g = gg[j], o = go[j], dhv = dh[j];
            float tc = RecurrentMath.Tanh(c[j]);
            float dcv = dc[j] + dhv * o * (1f - tc * tc);
            di[j] = dcv * g * i * (1f - i);
            df[j] = dcv * cPrev[j] * f * (1f - f);
            dg[j] = dcv * i * (1f - g * g);
            dO[j] = dhv * tc * o * (1f - o);
            dc[j] = dcv * f;
            dh[j] = 0f;
        }
    }
}
