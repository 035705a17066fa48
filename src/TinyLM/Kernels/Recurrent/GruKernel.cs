using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Fused single-layer, single-direction GRU over a padded batch, with PyTorch's parameter layout
/// (weight_ih (3H, I), weight_hh (3H, H), bias_ih (3H), bias_hh (3H); gate rows r, z, n) and cell
/// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
/// <para>
/// The same structure as <see cref="LstmKernel"/>: one GEMM projects every step's input, one GEMM per
/// step covers the whole batch and all three gates, padding carries the state unchanged (and reads
/// zero output), reverse runs each sequence from its own last valid token, and backward accumulates
/// dW_hh, dW_ih and dX with one GEMM each over all steps.
/// </para>
/// </summary>
public static unsafe class GruKernel
{
    private const string ForwardOp = "GruKernel.Forward";
    private const string BackwardOp = "GruKernel.Backward";

    /// <summary>
    /// Floats that <see cref="Forward"/> saves for <see cref="Backward"/>: per step r, z, n and
    /// W_hn h + b_hn, (T, B, 4H), then the hidden states including the initial one, (T+1, B, H).
    /// </summary>
    public static long WorkspaceLength(RecurrentShape shape) =>
        (long)shape.SeqLen * shape.Batch * 4 * shape.HiddenSize + (shape.SeqLen + 1L) * shape.Batch * shape.HiddenSize;

    /// <summary>
    /// Runs the layer; arguments as in <see cref="LstmKernel.Forward"/> without the cell state, with
    /// weight_ih (3H, I), weight_hh (3H, H) and biases (3H).
    /// </summary>
    public static void Forward(RecurrentShape shape, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh,
        ReadOnlySpan<float> h0, Span<float> y, int ldy, Span<float> hN, Span<float> workspace)
    {
        shape.Validate(ForwardOp);
        int batch = shape.Batch, seqLen = shape.SeqLen, inputSize = shape.InputSize, hidden = shape.HiddenSize, g3 = 3 * hidden;
        long rows = (long)batch * seqLen, bh = (long)batch * hidden;
        RecurrentCommon.Required(ForwardOp, "x", x.Length, rows * inputSize, shape);
        RecurrentCommon.Required(ForwardOp, "weight_ih", weightIh.Length, (long)g3 * inputSize, shape);
        RecurrentCommon.Required(ForwardOp, "weight_hh", weightHh.Length, (long)g3 * hidden, shape);
        bool hasBiasIh = RecurrentCommon.Optional(ForwardOp, "bias_ih", biasIh.Length, g3, shape);
        bool hasBiasHh = RecurrentCommon.Optional(ForwardOp, "bias_hh", biasHh.Length, g3, shape);
        bool hasH0 = RecurrentCommon.Optional(ForwardOp, "h0", h0.Length, bh, shape);
        bool hasY = RecurrentCommon.Strided(ForwardOp, "y", y.Length, ldy, shape, optional: true);
        bool hasHN = RecurrentCommon.Optional(ForwardOp, "hN", hN.Length, bh, shape);
        bool save = RecurrentCommon.Optional(ForwardOp, "workspace", workspace.Length, WorkspaceLength(shape), shape);
        int maxLen = RecurrentCommon.MaxLength(ForwardOp, lengths, shape);
        Span<int> lens = batch <= 256 ? stackalloc int[batch] : new int[batch];
        RecurrentCommon.FillLengths(lengths, shape, lens);

        using var xproj = PinnedScratch.Rent(Math.Max(rows, 1) * g3, clear: false);
        using var hproj = PinnedScratch.Rent((long)batch * g3, clear: false);
        using var temp = PinnedScratch.Rent(save ? 0 : bh * 2 + (long)batch * 4 * hidden, clear: false);
        using var whhT = PinnedScratch.Rent((long)hidden * g3, clear: false);
        fixed (float* px = x, pwih = weightIh, pwhh = weightHh, pbih = biasIh, pbhh = biasHh)
        fixed (float* ph0 = h0, py = y, phN = hN, pws = workspace)
        {
            RecurrentCommon.Transpose(pwhh, g3, hidden, whhT.Ptr); // (H, 3H)
            float* savedBase = save ? pws : temp.Ptr;
            float* hHist = save ? pws + (long)seqLen * batch * 4 * hidden : temp.Ptr + (long)batch * 4 * hidden;
            if (hasH0) new ReadOnlySpan<float>(ph0, (int)bh).CopyTo(new Span<float>(hHist, (int)bh));
            else new Span<float>(hHist, (int)bh).Clear();
            if (hasY) RecurrentCommon.ZeroPadding(py, ldy, lens, shape);
            if (maxLen > 0)
            {
                RecurrentCommon.FillBias(xproj.Ptr, rows, g3, hasBiasIh ? pbih : null, null);
                Gemm.Multiply(false, true, (int)rows, g3, inputSize, 1f, px, inputSize, pwih, inputSize, 1f, xproj.Ptr, g3);
            }

            float* hPrev = hHist;
            for (int s = 0; s < maxLen; s++)
            {
                float* saved = save ? savedBase + (long)s * batch * 4 * hidden : savedBase;
                float* hCur = save ? hHist + (s + 1) * bh : hHist + ((s + 1) & 1) * bh;
                // b_hh stays inside r ⊙ (W_hn h + b_hn), so it is added here rather than folded into xproj.
                RecurrentCommon.FillBias(hproj.Ptr, batch, g3, hasBiasHh ? pbhh : null, null);
                if (s > 0 || hasH0)
                    Gemm.Multiply(false, false, batch, g3, hidden, 1f, hPrev, hidden, whhT.Ptr, g3, 1f, hproj.Ptr, g3);
                for (int b = 0; b < batch; b++)
                {
                    long o = (long)b * hidden;
                    int pos = RecurrentCommon.Position(s, lens[b], shape.Reverse);
                    if (pos < 0)
                    {
                        new Span<float>(hPrev + o, hidden).CopyTo(new Span<float>(hCur + o, hidden));
                        continue;
                    }
                    long row = (long)b * seqLen + pos;
                    CellForward(hproj.Ptr + (long)b * g3, xproj.Ptr + row * g3, hPrev + o, hCur + o, saved + (long)b * 4 * hidden, hidden);
                    if (hasY) new Span<float>(hCur + o, hidden).CopyTo(new Span<float>(py + row * ldy, hidden));
                }
                hPrev = hCur;
            }
            if (hasHN) new Span<float>(hPrev, (int)bh).CopyTo(hN);
        }
    }

    /// <summary>
    /// Backpropagation through time for a <see cref="Forward"/> call with the same arguments, reading
    /// its <paramref name="workspace"/>. Gradient outputs are added to and may be empty; shapes as in
    /// <see cref="LstmKernel.Backward"/> with 3H gate rows and no cell state.
    /// </summary>
    public static void Backward(RecurrentShape shape, ReadOnlySpan<float> x, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> workspace,
        ReadOnlySpan<float> dy, int lddy, ReadOnlySpan<float> dhN,
        Span<float> dx, Span<float> dh0,
        Span<float> dWeightIh, Span<float> dWeightHh, Span<float> dBiasIh, Span<float> dBiasHh)
    {
        shape.Validate(BackwardOp);
        int batch = shape.Batch, seqLen = shape.SeqLen, inputSize = shape.InputSize, hidden = shape.HiddenSize, g3 = 3 * hidden;
        long rows = (long)batch * seqLen, bh = (long)batch * hidden;
        RecurrentCommon.Required(BackwardOp, "x", x.Length, rows * inputSize, shape);
        RecurrentCommon.Required(BackwardOp, "weight_ih", weightIh.Length, (long)g3 * inputSize, shape);
        RecurrentCommon.Required(BackwardOp, "weight_hh", weightHh.Length, (long)g3 * hidden, shape);
        RecurrentCommon.Required(BackwardOp, "workspace", workspace.Length, WorkspaceLength(shape), shape);
        bool hasDy = RecurrentCommon.Strided(BackwardOp, "dy", dy.Length, lddy, shape, optional: true);
        bool hasDhN = RecurrentCommon.Optional(BackwardOp, "dhN", dhN.Length, bh, shape);
        bool hasDx = RecurrentCommon.Optional(BackwardOp, "dx", dx.Length, rows * inputSize, shape);
        bool hasDh0 = RecurrentCommon.Optional(BackwardOp, "dh0", dh0.Length, bh, shape);
        bool hasDWih = RecurrentCommon.Optional(BackwardOp, "dweight_ih", dWeightIh.Length, (long)g3 * inputSize, shape);
        bool hasDWhh = RecurrentCommon.Optional(BackwardOp, "dweight_hh", dWeightHh.Length, (long)g3 * hidden, shape);
        bool hasDBih = RecurrentCommon.Optional(BackwardOp, "dbias_ih", dBiasIh.Length, g3, shape);
        bool hasDBhh = RecurrentCommon.Optional(BackwardOp, "dbias_hh", dBiasHh.Length, g3, shape);
        int maxLen = RecurrentCommon.MaxLength(BackwardOp, lengths, shape);
        Span<int> lens = batch <= 256 ? stackalloc int[batch] : new int[batch];
        RecurrentCommon.FillLengths(lengths, shape, lens);

        // dHp: gradients of h·W_hhᵀ + b_hh by step (maxLen, B, 3H); dXp: gradients of the input
        // projection by position (B, T, 3H), zero at padding. They differ in the n rows by the factor r.
        using var dHp = PinnedScratch.Rent((long)maxLen * batch * g3, clear: false);
        using var dXp = PinnedScratch.Rent(rows * g3, clear: true);
        using var state = PinnedScratch.Rent(bh, clear: true);
        fixed (float* px = x, pwih = weightIh, pwhh = weightHh, pws = workspace, pdy = dy, pdhN = dhN)
        {
            float* hHist = pws + (long)seqLen * batch * 4 * hidden;
            float* dh = state.Ptr;
            if (hasDhN) new ReadOnlySpan<float>(pdhN, (int)bh).CopyTo(new Span<float>(dh, (int)bh));

            for (int s = maxLen - 1; s >= 0; s--)
            {
                float* saved = pws + (long)s * batch * 4 * hidden;
                float* dHs = dHp.Ptr + (long)s * batch * g3;
                float* hPrev = hHist + s * bh;
                for (int b = 0; b < batch; b++)
                {
                    long o = (long)b * hidden;
                    int pos = RecurrentCommon.Position(s, lens[b], shape.Reverse);
                    if (pos < 0)
                    {
                        new Span<float>(dHs + (long)b * g3, g3).Clear();
                        continue;
                    }
                    long row = (long)b * seqLen + pos;
                    if (hasDy)
                        TensorPrimitives.Add(new ReadOnlySpan<float>(dh + o, hidden),
                            new ReadOnlySpan<float>(pdy + row * lddy, hidden), new Span<float>(dh + o, hidden));
                    CellBackward(saved + (long)b * 4 * hidden, hPrev + o, dh + o, dXp.Ptr + row * g3, dHs + (long)b * g3, hidden);
                }
                Gemm.Multiply(false, false, batch, hidden, g3, 1f, dHs, g3, pwhh, hidden, 1f, dh, hidden);
            }
            if (hasDh0) TensorPrimitives.Add(dh0, new ReadOnlySpan<float>(dh, (int)bh), dh0);
            if (maxLen == 0) return;

            long steps = (long)maxLen * batch;
            fixed (float* pdWhh = dWeightHh, pdWih = dWeightIh, pdx = dx)
            {
                if (hasDWhh) Gemm.Multiply(true, false, g3, hidden, (int)steps, 1f, dHp.Ptr, g3, hHist, hidden, 1f, pdWhh, hidden);
                if (hasDWih) Gemm.Multiply(true, false, g3, inputSize, (int)rows, 1f, dXp.Ptr, g3, px, inputSize, 1f, pdWih, inputSize);
                if (hasDx) Gemm.Multiply(false, false, (int)rows, inputSize, g3, 1f, dXp.Ptr, g3, pwih, inputSize, 1f, pdx, inputSize);
            }
            if (hasDBih) RecurrentCommon.AddColumnSums(dXp.Ptr, rows, g3, dBiasIh);
            if (hasDBhh) RecurrentCommon.AddColumnSums(dHp.Ptr, steps, g3, dBiasHh);
        }
    }

    // hp: h·W_hhᵀ + b_hh (r, z, n rows); xp: W_ih x + b_ih; saved: out r, z, n, hp_n for backward.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CellForward(float* hp, float* xp, float* hPrev, float* h, float* saved, int hidden)
    {
        float* sr = saved, sz = saved + hidden, sn = saved + 2 * hidden, shn = saved + 3 * hidden;
        int j = 0;
        if (RecurrentMath.UseVector256)
        {
            for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var r = RecurrentMath.Sigmoid(Vector256.Load(hp + j) + Vector256.Load(xp + j));
                var z = RecurrentMath.Sigmoid(Vector256.Load(hp + hidden + j) + Vector256.Load(xp + hidden + j));
                var hn = Vector256.Load(hp + 2 * hidden + j);
                var n = RecurrentMath.Tanh(Vector256.FusedMultiplyAdd(r, hn, Vector256.Load(xp + 2 * hidden + j)));
                Vector256.FusedMultiplyAdd(z, Vector256.Load(hPrev + j) - n, n).Store(h + j);
                r.Store(sr + j);
                z.Store(sz + j);
                n.Store(sn + j);
                hn.Store(shn + j);
            }
        }
        for (; j < hidden; j++)
        {
            float r = RecurrentMath.Sigmoid(hp[j] + xp[j]);
            float z = RecurrentMath.Sigmoid(hp[hidden + j] + xp[hidden + j]);
            float hn = hp[2 * hidden + j];
            float n = RecurrentMath.Tanh(MathF.FusedMultiplyAdd(r, hn, xp[2 * hidden + j]));
            h[j] = MathF.FusedMultiplyAdd(z, hPrev[j] - n, n);
            sr[j] = r;
            sz[j] = z;
            sn[j] = n;
            shn[j] = hn;
        }
    }

    // dh: in = total gradient of h_t, out = its direct part z ⊙ dh (the caller adds dHp · W_hh).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CellBackward(float* saved, float* hPrev, float* dh, float* dXp, float* dHp, int hidden)
    {
        float* sr = saved, sz = saved + hidden, sn = saved + 2 * hidden, shn = saved + 3 * hidden;
        int j = 0;
        if (RecurrentMath.UseVector256)
        {
            var one = Vector256<float>.One;
            for (; j <= hidden - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var r = Vector256.Load(sr + j);
                var z = Vector256.Load(sz + j);
                var n = Vector256.Load(sn + j);
                var dhv = Vector256.Load(dh + j);
                var dpn = dhv * (one - z) * (one - n * n);
                var dpr = dpn * Vector256.Load(shn + j) * r * (one - r);
                var dpz = dhv * (Vector256.Load(hPrev + j) - n) * z * (one - z);
                dpr.Store(dXp + j);
                dpz.Store(dXp + hidden + j);
                dpn.Store(dXp + 2 * hidden + j);
                dpr.Store(dHp + j);
                dpz.Store(dHp + hidden + j);
                (dpn * r).Store(dHp + 2 * hidden + j);
                (dhv * z).Store(dh + j);
            }
        }
        for (; j < hidden; j++)
        {
            float r = sr[j], z = sz[j], n = sn[j], dhv = dh[j];
            float dpn = dhv * (1f - z) * (1f - n * n);
            float dpr = dpn * shn[j] * r * (1f - r);
            float dpz = dhv * (hPrev[j] - n) * z * (1f - z);
            dXp[j] = dpr;
            dXp[hidden + j] = dpz;
            dXp[2 * hidden + j] = dpn;
            dHp[j] = dpr;
            dHp[hidden + j] = dpz;
            dHp[2 * hidden + j] = dpn * r;
            dh[j] = dhv * z;
        }
    }
}
