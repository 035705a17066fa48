using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Keys and values of an encoder memory projected once for <see cref="CrossAttention"/>: K and V are
/// (B, H, S, D) and <see cref="MaskBias"/> (B, 1, 1, S) holds −1e9 at padded memory positions (or is null).
/// Decoding computes it once per source batch and reuses it at every step.
/// </summary>
public sealed record MemoryKv(Tensor Keys, Tensor Values, Tensor? MaskBias);

/// <summary>
/// Multi-head attention from queries (B, T, C) onto a separate memory (B, S, C) — the encoder–decoder attention of
/// a Transformer decoder — with a key padding mask from the memory's lengths. Parameters as
/// <see cref="MultiHeadAttention"/>: <c>wq</c>, <c>wk</c>, <c>wv</c>, <c>wo</c> (C, C). Composite of primitive ops,
/// so it runs with or without autograd; the memory projection can be cached (<see cref="ProjectMemory"/>).
/// </summary>
public sealed class CrossAttention : AttentionProjections
{
    /// <summary>Attention over <paramref name="modelDim"/> features with <paramref name="heads"/> heads.</summary>
    public CrossAttention(int modelDim, int heads, Rng rng, bool bias = true, float dropout = 0f)
        : base(modelDim, heads, kvHeads: heads, headDim: 0, rng, bias, dropout)
    {
    }

    /// <summary>Projects <paramref name="memory"/> (B, S, C) into per-head keys and values; lengths mask padding.</summary>
    public MemoryKv ProjectMemory(Tensor memory, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (memory.Rank != 3 || memory.Dim(2) != ModelDim)
            throw new ArgumentException($"CrossAttention.ProjectMemory: memory must be (B, S, {ModelDim}), got ({string.Join(", ", memory.Shape)}).");
        int b = memory.Dim(0), s = memory.Dim(1);
        var k = Wk.Forward(memory).Reshape(b, s, Heads, HeadDim).Permute(0, 2, 1, 3).Contiguous(); // (B, H, S, D)
        var v = Wv.Forward(memory).Reshape(b, s, Heads, HeadDim).Permute(0, 2, 1, 3).Contiguous(); // (B, H, S, D)
        return new MemoryKv(k, v, MaskBias(lengths, b, s));
    }

    /// <summary>(B, 1, 1, S) additive mask: −1e9 where s ≥ lengths[b], or null without lengths.</summary>
    public static Tensor? MaskBias(int[]? lengths, int batch, int memoryLength)
    {
        if (lengths is null) return null;
        if (lengths.Length != batch)
            throw new ArgumentException($"CrossAttention: {lengths.Length} lengths for a batch of {batch}.");
        using var _ = Tensor.NoGrad();
        var m = Tensor.Zeros(batch, 1, 1, memoryLength);
        var span = m.AsSpan();
        for (int i = 0; i < batch; i++)
        {
            if ((uint)lengths[i] > (uint)memoryLength)
                throw new ArgumentOutOfRangeException(nameof(lengths), $"CrossAttention: length {lengths[i]} of sequence {i} is not in [0, {memoryLength}].");
            span.Slice(i * memoryLength + lengths[i], memoryLength - lengths[i]).Fill(MaskValue);
        }
        return m;
    }

    /// <summary>(B, T, C) queries over (B, S, C) memory → (B, T, C).</summary>
    public Tensor Forward(Tensor x, Tensor memory, int[]? memoryLengths = null) => Forward(x, ProjectMemory(memory, memoryLengths));

    /// <summary>(B, T, C) queries over a projected memory → (B, T, C).</summary>
    public Tensor Forward(Tensor x, MemoryKv memory)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(memory);
        if (x.Rank != 3 || x.Dim(2) != ModelDim || x.Dim(0) != memory.Keys.Dim(0))
            throw new ArgumentException($"CrossAttention.Forward: queries ({string.Join(", ", x.Shape)}) do not fit memory ({string.Join(", ", memory.Keys.Shape)}).");
        int b = x.Dim(0), t = x.Dim(1), h = Heads, d = HeadDim;
        var q = Wq.Forward(x).Reshape(b, t, h, d).Permute(0, 2, 1, 3).Mul(1f / MathF.Sqrt(d)); // (B, H, T, D)
        var scores = q.MatMul(memory.Keys.Transpose(2, 3));                                    // (B, H, T, S)
        if (memory.MaskBias is not null) scores = scores.Add(memory.MaskBias);
        var p = scores.Softmax(-1);                                                            // (B, H, T, S)
        if (DropoutRate > 0f && Training) p = p.Dropout(DropoutRate, DropoutRng);
        var o = p.MatMul(memory.Values);                                                       // (B, H, T, D)
        o = o.Permute(0, 2, 1, 3).Reshape(b, t, h * d);                                        // (B, T, C)
        return Wo.Forward(o);                                                                  // (B, T, C)
    }
}
