using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// 1-D convolution over batch-first sequences (B, T, C_in) → (B, T_out, C_out), stride 1, zero padding
/// <see cref="Padding"/> on both ends, T_out = T + 2·padding − K + 1 (Kim 2014 text CNNs). Parameters use
/// PyTorch's names, shapes and init: <c>weight</c> (C_out, C_in, K) and <c>bias</c> (C_out), both
/// U(−1/√(C_in·K), 1/√(C_in·K)).
/// <para>One fused op with a hand-written backward. With channels innermost, the window of K time steps that
/// output position t reads is a run of K·C_in contiguous floats, so the convolution is K GEMMs over the whole
/// batch at once: Y[r] += X[r + k]·W_kᵀ for rows r of the flattened (B·T_pad, C_in) input. Rows whose window
/// straddles two sequences are computed and dropped (K − 1 per sequence); no im2col copy is made.</para>
/// </summary>
public sealed class Conv1d : Module, ILayer
{
    /// <summary>(C_out, C_in, K).</summary>
    public Tensor Weight { get; }

    /// <summary>(C_out), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>C_in.</summary>
    public int InChannels { get; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; }

    /// <summary>K, the window width in time steps.</summary>
    public int KernelSize { get; }

    /// <summary>Zero steps added at each end of the sequence.</summary>
    public int Padding { get; }

    /// <summary>A convolution with PyTorch's default initialisation drawn from <paramref name="rng"/>.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, Rng rng, int padding = 0, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || padding < 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Conv1d: invalid sizes in={inChannels} out={outChannels} kernel={kernelSize} padding={padding}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Padding = padding;
        float bound = 1f / MathF.Sqrt(inChannels * kernelSize);
        Weight = RegisterParameter("weight", Tensor.Parameter(outChannels, inChannels, kernelSize));
        rng.Uniform(Weight.AsSpan(), -bound, bound);
        if (bias)
        {
            Bias = RegisterParameter("bias", Tensor.Parameter(outChannels));
            rng.Uniform(Bias.AsSpan(), -bound, bound);
        }
    }

    /// <summary>
    /// Valid output steps per sequence, for padding-aware pooling: a sequence of length L convolved on its own
    /// gives L + 2·padding − K + 1 outputs (clamped to [0, T_out]); the batch's later positions read padding
    /// beyond the sequence's own zero padding and are to be excluded.
    /// </summary>
    public int[] OutputLengths(int[] lengths, int t)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        int tout = t + 2 * Padding - KernelSize + 1;
        var result = new int[lengths.Length];
        for (int i = 0; i < lengths.Length; i++) result[i] = Math.Clamp(lengths[i] + 2 * Padding - KernelSize + 1, 0, Math.Max(tout, 0));
        return result;
    }

    /// <summary>(B, T, C_in) → (B, T + 2·padding − K + 1, C_out).</summary>
    public Tensor Forward(Tensor input) => Apply(input, Weight, Bias, Padding);

    /// <summary>
    /// The convolution as an op: <paramref name="input"/> (B, T, C_in), <paramref name="weight"/> (C_out, C_in, K),
    /// <paramref name="bias"/> (C_out) or null → (B, T_out, C_out).
    /// </summary>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, int padding)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 3) throw new ArgumentException($"Conv1d: weight must be (C_out, C_in, K), got ({string.Join(", ", weight.Shape)}).");
        int cout = weight.Dim(0), cin = weight.Dim(1), k = weight.Dim(2);
        if (input.Rank != 3 || input.Dim(2) != cin)
            throw new ArgumentException($"Conv1d: input must be (B, T, {cin}), got ({string.Join(", ", input.Shape)}).");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != cout))
            throw new ArgumentException($"Conv1d: bias must be ({cout}), got ({string.Join(", ", bias.Shape)}).");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), $"Conv1d: padding {padding} is negative.");
        int b = input.Dim(0), t = input.Dim(1);
        int tp = t + 2 * padding, tout = tp - k + 1;
        if (tout <= 0)
            throw new ArgumentException($"Conv1d: sequence length {t} with padding {padding} is shorter than the kernel width {k}; pad the batch to at least {k - 2 * padding} steps.");

        Tensor x, w;
        Tensor? bv;
        using (Tensor.NoGrad())
        {
            x = input.Contiguous();
            w = weight.Contiguous();
            bv = bias?.Contiguous();
        }
        int rowsPad = b * tp;
        int m = rowsPad - k + 1; // GEMM rows: every window start that fits in the flattened buffer

        // Padded input (a pooled copy unless there is no padding), kept for the weight gradient.
        float[]? xpadOwned = null;
        if (padding > 0)
        {
            xpadOwned = TensorPool.Rent(rowsPad * cin);
            var xp = xpadOwned.AsSpan(0, rowsPad * cin);
            xp.Clear();
            var xs = x.AsSpan();
            for (int bi = 0; bi < b; bi++)
                xs.Slice(bi * t * cin, t * cin).CopyTo(xp.Slice((bi * tp + padding) * cin, t * cin));
        }

        // W rearranged to (K, C_out, C_in) so each tap is a contiguous matrix for the GEMM.
        var wr = TensorPool.Rent(k * cout * cin);
        var ws = w.AsSpan();
        for (int o = 0; o < cout; o++)
            for (int c = 0; c < cin; c++)
                for (int j = 0; j < k; j++)
                    wr[(j * cout + o) * cin + c] = ws[(o * cin + c) * k + j];

        var full = TensorPool.Rent(rowsPad * cout);
        ReadOnlySpan<float> xpad = xpadOwned is null ? x.AsSpan() : xpadOwned.AsSpan(0, rowsPad * cin);
        for (int j = 0; j < k; j++)
            Gemm.Multiply(false, true, m, cout, cin, 1f, xpad.Slice(j * cin, m * cin), cin,
                wr.AsSpan(j * cout * cin, cout * cin), cin, j == 0 ? 0f : 1f, full.AsSpan(0, m * cout), cout);

        var y = Tensor.Empty(b, tout, cout); // (B, T_out, C_out)
        var ys = y.AsSpan();
        for (int bi = 0; bi < b; bi++)
            full.AsSpan(bi * tp * cout, tout * cout).CopyTo(ys.Slice(bi * tout * cout, tout * cout));
        TensorPool.Return(full);
        if (bv is not null)
        {
            var bs = bv.AsSpan();
            for (int r = 0; r < b * tout; r++)
            {
                var row = ys.Slice(r * cout, cout);
                System.Numerics.Tensors.TensorPrimitives.Add(row, bs, row);
            }
        }

        Tensor[] inputs = bv is null ? [x, w] : [x, w, bv];
        bool recorded = Tensor.Record("Conv1d", y, inputs, g =>
        {
            var gs = g.AsSpan();
            var gfull = TensorPool.Rent(rowsPad * cout);
            var gf = gfull.AsSpan(0, rowsPad * cout);
            gf.Clear(); // rows of straddling windows get zero gradient
            for (int bi = 0; bi < b; bi++)
                gs.Slice(bi * tout * cout, tout * cout).CopyTo(gf.Slice(bi * tp * cout, tout * cout));
            ReadOnlySpan<float> xpadB = xpadOwned is null ? x.AsSpan() : xpadOwned.AsSpan(0, rowsPad * cin);
            if (x.RequiresGrad)
            {
                // dX_pad[r + j] += dY[r]·W_j, accumulated tap by tap into one buffer (no race between taps).
                var dxp = TensorPool.Rent(rowsPad * cin);
                var dx = dxp.AsSpan(0, rowsPad * cin);
                dx.Clear();
                for (int j = 0; j < k; j++)
                    Gemm.Multiply(false, false, m, cin, cout, 1f, gf[..(m * cout)], cout,
                        wr.AsSpan(j * cout * cin, cout * cin), cin, 1f, dx.Slice(j * cin, m * cin), cin);
                var xg = x.GradSpan();
                for (int bi = 0; bi < b; bi++)
                {
                    var src = dx.Slice((bi * tp + padding) * cin, t * cin);
                    var dst = xg.Slice(bi * t * cin, t * cin);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
                }
                TensorPool.Return(dxp);
            }
            if (w.RequiresGrad)
            {
                // dW_j (C_out, C_in) = dYᵀ·X_pad[j:], then scattered back to PyTorch's (C_out, C_in, K) layout.
                var dwr = TensorPool.Rent(cout * cin);
                var wg = w.GradSpan();
                for (int j = 0; j < k; j++)
                {
                    Gemm.Multiply(true, false, cout, cin, m, 1f, gf[..(m * cout)], cout,
                        xpadB.Slice(j * cin, m * cin), cin, 0f, dwr.AsSpan(0, cout * cin), cin);
                    for (int o = 0; o < cout; o++)
                        for (int c = 0; c < cin; c++)
                            wg[(o * cin + c) * k + j] += dwr[o * cin + c];
                }
                TensorPool.Return(dwr);
            }
            if (bv is not null && bv.RequiresGrad)
            {
                var bg = bv.GradSpan();
                for (int r = 0; r < b * tout; r++)
                    System.Numerics.Tensors.TensorPrimitives.Add(bg, gs.Slice(r * cout, cout), bg);
            }
            TensorPool.Return(gfull);
            TensorPool.Return(wr);
            if (xpadOwned is not null) TensorPool.Return(xpadOwned);
        });
        if (!recorded)
        {
            TensorPool.Return(wr);
            if (xpadOwned is not null) TensorPool.Return(xpadOwned);
        }
        return y;
    }
}
