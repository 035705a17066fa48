using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Pre-LN Transformer decoder block: x + Dropout(SelfAttn(LN₁ x)) with a causal mask, then
/// + Dropout(CrossAttn(LN₂ x, memory)) over the encoder memory, then + Dropout(MLP(LN₃ x)).
/// <see cref="ForwardCached"/> decodes step by step over a <see cref="KvCache"/> and a projected memory
/// and equals the rows of <see cref="Forward"/> in evaluation mode.
/// </summary>
public sealed class TransformerDecoderBlock : Module
{
    private readonly Dropout _dropout;

    /// <summary>Norm before self-attention.</summary>
    public LayerNorm Ln1 { get; }
    /// <summary>Causal self-attention.</summary>
    public MultiHeadAttention SelfAttention { get; }
    /// <summary>Norm before cross-attention.</summary>
    public LayerNorm Ln2 { get; }
    /// <summary>Attention over the encoder memory.</summary>
    public CrossAttention CrossAttention { get; }
    /// <summary>Norm before the MLP.</summary>
    public LayerNorm Ln3 { get; }
    /// <summary>Position-wise MLP.</summary>
    public FeedForward Mlp { get; }

    /// <summary>A block over <paramref name="modelDim"/> features; <paramref name="hiddenDim"/> ≤ 0 means 4·C.</summary>
    public TransformerDecoderBlock(int modelDim, int heads, Rng rng, int hiddenDim = 0, float dropout = 0.1f, bool bias = true,
        ActivationKind activation = ActivationKind.Gelu)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (hiddenDim <= 0) hiddenDim = 4 * modelDim;
        Ln1 = RegisterModule("ln_1", new LayerNorm(modelDim));
        SelfAttention = RegisterModule("self_attn", new MultiHeadAttention(modelDim, heads, rng, causal: true, bias: bias, dropout: dropout));
        Ln2 = RegisterModule("ln_2", new LayerNorm(modelDim));
        CrossAttention = RegisterModule("cross_attn", new CrossAttention(modelDim, heads, rng, bias, dropout));
        Ln3 = RegisterModule("ln_3", new LayerNorm(modelDim));
        Mlp = RegisterModule("mlp", new FeedForward(modelDim, hiddenDim, rng, activation, bias));
        _dropout = RegisterModule("dropout", new Dropout(dropout, rng));
    }

    /// <summary>(B, T, C) targets over memory (B, S, C) → (B, T, C).</summary>
    public Tensor Forward(Tensor x, Tensor memory, int[]? memoryLengths = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Forward(x, CrossAttention.ProjectMemory(memory, memoryLengths));
    }

    /// <summary>(B, T, C) targets over a projected memory → (B, T, C).</summary>
    public Tensor Forward(Tensor x, MemoryKv memory)
    {
        ArgumentNullException.ThrowIfNull(x);
        x = x.Add(_dropout.Forward(SelfAttention.Forward(Ln1.Forward(x))));             // (B, T, C)
        x = x.Add(_dropout.Forward(CrossAttention.Forward(Ln2.Forward(x), memory)));    // (B, T, C)
        return x.Add(_dropout.Forward(Mlp.Forward(Ln3.Forward(x))));                    // (B, T, C)
    }

    /// <summary>
    /// Inference step: <paramref name="x"/> (B, T_new, C) are the next positions; their self-attention keys and
    /// values are appended to <paramref name="cache"/>. No autograd.
    /// </summary>
    public Tensor ForwardCached(Tensor x, KvCache cache, MemoryKv memory)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var _ = Tensor.NoGrad();
        x = x.Add(SelfAttention.ForwardCached(Ln1.Forward(x), cache));   // (B, T_new, C)
        x = x.Add(CrossAttention.Forward(Ln2.Forward(x), memory));        // (B, T_new, C)
        return x.Add(Mlp.Forward(Ln3.Forward(x)));                        // (B, T_new, C)
    }

    /// <summary>A self-attention cache for <paramref name="batch"/> rows of up to <paramref name="maxLength"/> positions.</summary>
    public KvCache CreateCache(int batch, int maxLength) => SelfAttention.CreateCache(batch, maxLength);
}
