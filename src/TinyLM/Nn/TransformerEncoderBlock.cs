using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Pre-LN transformer block (GPT-2 layout): x ← x + Dropout(Attn(LN₁(x))); x ← x + Dropout(MLP(LN₂(x))).
/// Children: <c>ln_1</c>, <c>attn</c> (<see cref="MultiHeadAttention"/>), <c>ln_2</c>, <c>mlp</c>
/// (<see cref="FeedForward"/> with GELU). Padding keys are masked out with <c>lengths</c>; with
/// <paramref name="causal"/> it is a decoder-only block.
/// </summary>
public sealed class TransformerEncoderBlock : Module
{
    private readonly Dropout _dropout;

    /// <summary>Norm before attention.</summary>
    public LayerNorm Ln1 { get; }
    /// <summary>Self-attention.</summary>
    public MultiHeadAttention Attention { get; }
    /// <summary>Norm before the MLP.</summary>
    public LayerNorm Ln2 { get; }
    /// <summary>Position-wise MLP.</summary>
    public FeedForward Mlp { get; }

    /// <summary>
    /// A block over <paramref name="modelDim"/> features; <paramref name="hiddenDim"/> ≤ 0 means 4·C.
    /// <paramref name="dropout"/> applies to both residual branches and the attention probabilities.
    /// </summary>
    public TransformerEncoderBlock(int modelDim, int heads, Rng rng, int hiddenDim = 0, float dropout = 0.1f, int kvHeads = 0,
        bool causal = false, bool rope = false, int maxPositions = 2048, bool bias = true, int headDim = 0)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (hiddenDim <= 0) hiddenDim = 4 * modelDim;
        Ln1 = RegisterModule("ln_1", new LayerNorm(modelDim));
        Attention = RegisterModule("attn", new MultiHeadAttention(modelDim, heads, rng, kvHeads, causal, bias, dropout, rope, maxPositions, headDim: headDim));
        Ln2 = RegisterModule("ln_2", new LayerNorm(modelDim));
        Mlp = RegisterModule("mlp", new FeedForward(modelDim, hiddenDim, rng, ActivationKind.Gelu, bias));
        _dropout = RegisterModule("dropout", new Dropout(dropout, rng));
    }

    /// <summary>(B, T, C) → (B, T, C); keys at t ≥ lengths[b] are ignored.</summary>
    public Tensor Forward(Tensor x, int[]? lengths = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        x = x.Add(_dropout.Forward(Attention.Forward(Ln1.Forward(x), lengths))); // (B, T, C)
        return x.Add(_dropout.Forward(Mlp.Forward(Ln2.Forward(x))));              // (B, T, C)
    }
}
