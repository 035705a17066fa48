using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Causal scaled-dot-product attention as one autograd op (<see cref="AttentionKernels"/>): the scores, mask,
/// softmax and weighted sum of every (batch, head) run in one kernel over the projections' own layout, and the
/// backward is one kernel too, instead of the composite's batched GEMMs, permute copies, mask fill and softmax
/// ops (and their tape entries).
/// </summary>
public static class FusedAttention
{
    /// <summary>
    /// q (B, T, H·D), k and v (B, T, H_kv·D) → o (B, T, H·D), with o_i = Σ_{j≤i} softmax_j(q_i·k_j/√D)·v_j per
    /// head; query head h reads key/value head h / (H/H_kv).
    /// </summary>
    public static Tensor Causal(Tensor q, Tensor k, Tensor v, int heads, int kvHeads)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0)
            throw new ArgumentException($"FusedAttention.Causal: kv heads {kvHeads} must divide heads {heads}.");
        if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3 || q.Dim(2) % heads != 0)
            throw new ArgumentException($"FusedAttention.Causal: q {Shape(q)}, k {Shape(k)}, v {Shape(v)} must be (B, T, H·D), (B, T, Hkv·D), (B, T, Hkv·D) with H = {heads}.");
        int b = q.Dim(0), t = q.Dim(1), d = q.Dim(2) / heads;
        if (k.Dim(0) != b || k.Dim(1) != t || k.Dim(2) != kvHeads * d || v.Dim(0) != b || v.Dim(1) != t || v.Dim(2) != kvHeads * d)
            throw new ArgumentException($"FusedAttention.Causal: q {Shape(q)}, k {Shape(k)}, v {Shape(v)} disagree (H = {heads}, Hkv = {kvHeads}, D = {d}).");
        float scale = 1f / MathF.Sqrt(d);
        Tensor qc, kc, vc;
        using (Tensor.NoGrad())
        {
            qc = q.Contiguous();
            kc = k.Contiguous();
            vc = v.Contiguous();
        }
        var o = Tensor.Empty(b, t, heads * d);       // (B, T, H·D)
        var p = Tensor.Empty(b, heads, t, t);        // (B, H, T, T) saved probabilities
        AttentionKernels.CausalForward(qc.AsSpan(), kc.AsSpan(), vc.AsSpan(), o.AsSpan(), p.AsSpan(), b, t, heads, kvHeads, d, scale);
        Tensor.Record("FusedCausalAttention", o, [q, k, v], g =>
        {
            // A gradient buffer is contiguous in logical order whatever the strides of its tensor, which is the
            // layout of the contiguous copies the kernel read, so the kernel adds straight into it.
            AttentionKernels.CausalBackward(qc.AsSpan(), kc.AsSpan(), vc.AsSpan(), p.AsSpan(), g.AsSpan(),
                q.RequiresGrad ? q.GradSpan() : default, k.RequiresGrad ? k.GradSpan() : default, v.RequiresGrad ? v.GradSpan() : default,
                b, t, heads, kvHeads, d, scale);
        });
        return o;
    }

    private static string Shape(Tensor x) => $"({string.Join(", ", x.Shape)})";
}
