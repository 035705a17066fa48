using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Multi-head scaled dot-product self-attention over batch-first inputs (B, T, C), with an optional causal mask,
/// a key padding mask from sequence lengths, grouped-query heads (H_kv ≤ H key/value heads, each shared by
/// H/H_kv query heads as llama's repeat_kv: query head h reads kv head h / (H/H_kv)), optional rotary
/// positions, and an inference path over a preallocated <see cref="KvCache"/>.
/// Parameters (llama names): <c>wq</c> (H·D, C), <c>wk</c> and <c>wv</c> (H_kv·D, C), <c>wo</c> (C, H·D), each a
/// <see cref="Linear"/> with optional bias.
/// <para>Training path: causal attention without key padding or active dropout is one fused op
/// (<see cref="FusedAttention"/>); otherwise a composite of primitive ops (batched MatMul, MaskedFill, the fused
/// Softmax, Dropout). GQA costs no copy of K/V: the G query heads of a group are folded
/// into the row dimension, so one batched GEMM over (B, H_kv) serves them all. The cached path
/// (<see cref="ForwardCached(ReadOnlySpan{float}, int, int, KvCache, Span{float})"/>) runs on spans with GEMM
/// calls and grow-only scratch, no autograd.</para>
/// </summary>
public sealed class MultiHeadAttention : AttentionProjections
{
    /// <summary>Whether position t attends only to positions ≤ t.</summary>
    public bool Causal { get; }
    /// <summary>
    /// Whether causal attention without key padding or active dropout runs as one fused op
    /// (<see cref="FusedAttention"/>); false forces the composite path (tests compare the two).
    /// </summary>
    public bool Fused { get; set; } = true;
    /// <summary>Rotary embedding applied to q and k, or null.</summary>
    public RotaryEmbedding? Rope { get; }

    /// <summary>
    /// Attention over <paramref name="modelDim"/> features with <paramref name="heads"/> heads;
    /// <paramref name="kvHeads"/> ≤ 0 means as many as query heads. With <paramref name="rope"/>, positions up to
    /// <paramref name="maxPositions"/> are supported.
    /// </summary>
    public MultiHeadAttention(int modelDim, int heads, Rng rng, int kvHeads = 0, bool causal = false, bool bias = true,
        float dropout = 0f, bool rope = false, int maxPositions = 2048, float ropeTheta = 10000f, int headDim = 0)
        : base(modelDim, heads, kvHeads, headDim, rng, bias, dropout)
    {
        Causal = causal;
        if (rope) Rope = new RotaryEmbedding(HeadDim, maxPositions, ropeTheta);
    }

    /// <summary>
    /// (B, T, C) → (B, T, C). Keys at positions ≥ <paramref name="lengths"/>[b] are masked out (queries there
    /// still produce outputs, which callers ignore or pool away).
    /// </summary>
    public Tensor Forward(Tensor x, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Dim(2) != ModelDim)
            throw new ArgumentException($"MultiHeadAttention.Forward: input must be (B, T, {ModelDim}), got ({string.Join(", ", x.Shape)}).");
        int b = x.Dim(0), t = x.Dim(1), h = Heads, hkv = KvHeads, d = HeadDim, g = h / hkv;
        if (lengths is not null && lengths.Length != b)
            throw new ArgumentException($"MultiHeadAttention.Forward: {lengths.Length} lengths for a batch of {b}.");

        if (Fused && Causal && lengths is null && (DropoutRate == 0f || !Training))
        {
            var qf = Wq.Forward(x);                      // (B, T, H·D)
            var kf = Wk.Forward(x);                      // (B, T, Hkv·D)
            var vf = Wv.Forward(x);                      // (B, T, Hkv·D)
            if (Rope is not null)
            {
                qf = Rope.Apply(qf.Reshape(b, t, h, d)).Reshape(b, t, h * d);
                kf = Rope.Apply(kf.Reshape(b, t, hkv, d)).Reshape(b, t, hkv * d);
            }
            return Wo.Forward(FusedAttention.Causal(qf, kf, vf, h, hkv)); // (B, T, C)
        }

        var q = Wq.Forward(x).Reshape(b, t, h, d);   // (B, T, H, D)
        var k = Wk.Forward(x).Reshape(b, t, hkv, d); // (B, T, Hkv, D)
        var v = Wv.Forward(x).Reshape(b, t, hkv, d); // (B, T, Hkv, D)
        if (Rope is not null)
        {
            q = Rope.Apply(q);
            k = Rope.Apply(k);
        }
        // Scaling q (a strided view) also makes it contiguous in (B, H, T, D) order.
        q = q.Permute(0, 2, 1, 3).Mul(1f / MathF.Sqrt(d));            // (B, H, T, D)
        var qg = q.Reshape(b, hkv, g * t, d);                          // (B, Hkv, G·T, D)
        var kt = HeadsFirst(k).Transpose(2, 3);                        // (B, Hkv, D, T)
        var scores = qg.MatMul(kt).Reshape(b, h, t, t);                // (B, H, T, T)
        var mask = BuildMask(b, t, lengths);
        if (mask is not null) scores = scores.MaskedFill(mask, MaskValue);
        var p = scores.Softmax(-1);                                    // (B, H, T, T)
        if (DropoutRate > 0f && Training) p = p.Dropout(DropoutRate, DropoutRng);
        var o = p.Reshape(b, hkv, g * t, t).MatMul(HeadsFirst(v)); // (B, Hkv, G·T, D)
        o = o.Reshape(b, h, t, d).Permute(0, 2, 1, 3).Reshape(b, t, h * d); // (B, T, H·D)
        return Wo.Forward(o);                                          // (B, T, C)
    }

    // (B, T, Hkv, D) → (B, Hkv, T, D) view; MatMul reads it in place.
    private static Tensor HeadsFirst(Tensor x) => x.Permute(0, 2, 1, 3);

    // (B or 1, 1, T, T) with 1 where attention is forbidden, or null when nothing is masked.
    private Tensor? BuildMask(int b, int t, int[]? lengths)
    {
        if (!Causal && lengths is null) return null;
        using var _ = Tensor.NoGrad();
        int mb = lengths is null ? 1 : b;
        var m = Tensor.Zeros(mb, 1, t, t);
        var s = m.AsSpan();
        for (int bi = 0; bi < mb; bi++)
        {
            int len = lengths?[bi] ?? t;
            if (len < 0 || len > t)
                throw new ArgumentOutOfRangeException(nameof(lengths), $"MultiHeadAttention.Forward: length {len} of sequence {bi} is not in [0, {t}].");
            for (int i = 0; i < t; i++)
            {
                var row = s.Slice((bi * t + i) * t, t);
                int visible = Causal ? Math.Min(i + 1, len) : len;
                row[visible..].Fill(1f);
            }
        }
        return m;
    }

    /// <summary>A cache for <paramref name="batch"/> sequences of up to <paramref name="maxLength"/> positions.</summary>
    public KvCache CreateCache(int batch, int maxLength)
    {
        if (Rope is not null && maxLength > Rope.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"MultiHeadAttention.CreateCache: {maxLength} positions exceed the rotary table of {Rope.MaxPositions}.");
        return new KvCache(batch, KvHeads, HeadDim, maxLength);
    }

    /// <summary>
    /// Inference step: <paramref name="x"/> (B, T_new, C) are the next positions of each sequence; their keys and
    /// values are appended to <paramref name="cache"/> and the result (B, T_new, C) attends causally over everything
    /// cached. Equals the rows of a full causal <see cref="Forward"/> (in evaluation mode). No autograd.
    /// </summary>
    public Tensor ForwardCached(Tensor x, KvCache cache)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Dim(2) != ModelDim)
            throw new ArgumentException($"MultiHeadAttention.ForwardCached: input must be (B, T, {ModelDim}), got ({string.Join(", ", x.Shape)}).");
        Tensor xc;
        using (Tensor.NoGrad()) xc = x.Contiguous();
        var y = Tensor.Empty(x.Dim(0), x.Dim(1), ModelDim); // (B, T_new, C)
        ForwardCached(xc.AsSpan(), x.Dim(0), x.Dim(1), cache, y.AsSpan());
        return y;
    }

    /// <summary>
    /// Span form of <see cref="ForwardCached(Tensor, KvCache)"/>: <paramref name="x"/> (batch, tokens, C) row-major
    /// into <paramref name="output"/> (batch, tokens, C). Allocates nothing once the cache's scratch has grown to
    /// the step size.
    /// </summary>
    public void ForwardCached(ReadOnlySpan<float> x, int batch, int tokens, KvCache cache, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (!Causal) throw new InvalidOperationException("MultiHeadAttention.ForwardCached: incremental decoding needs a causal attention layer.");
        if (cache.Batch != batch || cache.KvHeads != KvHeads || cache.HeadDim != HeadDim)
            throw new ArgumentException($"MultiHeadAttention.ForwardCached: cache (B={cache.Batch}, Hkv={cache.KvHeads}, D={cache.HeadDim}) does not fit batch {batch}, Hkv={KvHeads}, D={HeadDim}.");
        int c = ModelDim, h = Heads, hkv = KvHeads, d = HeadDim, g = h / hkv;
        int rows = batch * tokens, p0 = cache.Length, len = p0 + tokens, maxT = cache.MaxLength;
        if (tokens <= 0 || len > maxT)
            throw new ArgumentOutOfRangeException(nameof(tokens), $"MultiHeadAttention.ForwardCached: {tokens} new positions after {p0} exceed the cache of {maxT}.");
        if (x.Length < rows * c || output.Length < rows * c)
            throw new ArgumentException($"MultiHeadAttention.ForwardCached: spans of {x.Length}/{output.Length} floats for ({batch}, {tokens}, {c}).");

        KvCache.Ensure(ref cache.Q, rows * h * d);
        KvCache.Ensure(ref cache.KNew, rows * hkv * d);
        KvCache.Ensure(ref cache.VNew, rows * hkv * d);
        KvCache.Ensure(ref cache.Scores, tokens * len);
        KvCache.Ensure(ref cache.Attn, rows * h * d);
        var q = cache.Q.AsSpan(0, rows * h * d);
        var kn = cache.KNew.AsSpan(0, rows * hkv * d);
        var vn = cache.VNew.AsSpan(0, rows * hkv * d);
        Project(Wq, x, rows, q);
        Project(Wk, x, rows, kn);
        Project(Wv, x, rows, vn);
        if (Rope is not null)
        {
            Rope.Rotate(q, batch, tokens, h, p0);
            Rope.Rotate(kn, batch, tokens, hkv, p0);
        }
        var keys = cache.Keys.AsSpan();
        var values = cache.Values.AsSpan();
        for (int bi = 0; bi < batch; bi++)
            for (int ti = 0; ti < tokens; ti++)
                for (int j = 0; j < hkv; j++)
                {
                    int src = ((bi * tokens + ti) * hkv + j) * d;
                    int dst = ((bi * hkv + j) * maxT + p0 + ti) * d;
                    kn.Slice(src, d).CopyTo(keys.Slice(dst, d));
                    vn.Slice(src, d).CopyTo(values.Slice(dst, d));
                }
        cache.Length = len;

        float scale = 1f / MathF.Sqrt(d);
        var scores = cache.Scores.AsSpan(0, tokens * len);
        var attn = cache.Attn.AsSpan(0, rows * h * d);
        for (int bi = 0; bi < batch; bi++)
            for (int hh = 0; hh < h; hh++)
            {
                int j = hh / g;
                var kb = keys.Slice((bi * hkv + j) * maxT * d, len * d);
                var vb = values.Slice((bi * hkv + j) * maxT * d, len * d);
                // scores (T_new, L) = q_bh · K_bjᵀ · scale; q rows are strided by H·D.
                Gemm.Multiply(false, true, tokens, len, d, scale, q[(bi * tokens * h * d + hh * d)..], h * d, kb, d, 0f, scores, len);
                for (int ti = 0; ti < tokens; ti++)
                {
                    var row = scores.Slice(ti * len, len);
                    int visible = p0 + ti + 1;
                    SoftmaxKernels.Softmax(row[..visible], row[..visible], 1, visible); // max-subtracted, unlike TensorPrimitives.SoftMax
                    row[visible..].Clear();
                }
                Gemm.Multiply(false, false, tokens, d, len, 1f, scores, len, vb, d, 0f, attn[(bi * tokens * h * d + hh * d)..], h * d);
            }
        Project(Wo, attn, rows, output);
    }

    // y (rows, out) = x (rows, in) · Wᵀ + b, straight on the parameter storage.
    private static void Project(Linear layer, ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        int n = layer.OutFeatures, k = layer.InFeatures;
        Gemm.Multiply(false, true, rows, n, k, 1f, x, k, layer.Weight.AsSpan(), k, 0f, y, n);
        if (layer.Bias is null) return;
        var bias = layer.Bias.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            var row = y.Slice(r * n, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }
}
