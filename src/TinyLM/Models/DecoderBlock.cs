using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Models;

/// <summary>
/// One pre-norm decoder block of a <see cref="CausalLM"/>: x ← x + Dropout(Attn(Norm₁(x))); x ← x + Dropout(MLP(Norm₂(x))).
/// Children keep Meta's llama names: <c>attention_norm</c>, <c>attention</c> (wq, wk, wv, wo), <c>ffn_norm</c>,
/// <c>feed_forward</c> (w1, w2, w3 for SwiGLU; c_fc, c_proj for GELU).
/// </summary>
public sealed class DecoderBlock : Module
{
    private readonly Dropout _dropout;

    /// <summary>Norm before attention (<see cref="LayerNorm"/> or <see cref="RmsNorm"/>).</summary>
    public Module AttentionNorm { get; }
    /// <summary>Causal self-attention.</summary>
    public MultiHeadAttention Attention { get; }
    /// <summary>Norm before the MLP.</summary>
    public Module FfnNorm { get; }
    /// <summary>The MLP (<see cref="FeedForward"/> or <see cref="SwiGluFeedForward"/>).</summary>
    public Module FeedForward { get; }

    /// <summary>A block shaped by <paramref name="config"/>.</summary>
    public DecoderBlock(CausalLMConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        int c = config.EmbedDim;
        AttentionNorm = RegisterModule("attention_norm", CreateNorm(config));
        Attention = RegisterModule("attention", new MultiHeadAttention(c, config.Heads, rng.Split(), config.ResolvedKvHeads,
            causal: true, bias: config.Bias, dropout: config.Dropout, rope: config.Positions == PositionKind.Rotary,
            maxPositions: config.ContextLength, ropeTheta: config.RopeTheta));
        FfnNorm = RegisterModule("ffn_norm", CreateNorm(config));
        FeedForward = RegisterModule<Module>("feed_forward", config.Mlp == MlpKind.SwiGlu
            ? new SwiGluFeedForward(c, config.ResolvedHiddenDim, rng.Split(), config.Bias)
            : new FeedForward(c, config.ResolvedHiddenDim, rng.Split(),
                config.ExactGelu ? ActivationKind.GeluExact : ActivationKind.Gelu, config.Bias));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng.Split()));
    }

    /// <summary>The norm a config asks for (also the model's final norm).</summary>
    public static Module CreateNorm(CausalLMConfig config) => config.Norm == NormKind.RmsNorm
        ? new RmsNorm(config.EmbedDim, config.NormEps)
        : new LayerNorm(config.EmbedDim, config.NormEps, bias: config.Bias);

    /// <summary>(B, T, C) → (B, T, C).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var a = Attention.Forward(((ILayer)AttentionNorm).Forward(x));      // (B, T, C)
        if (_dropout.P > 0) a = _dropout.Forward(a);
        x = x.Add(a);                                                        // (B, T, C)
        var m = ((ILayer)FeedForward).Forward(((ILayer)FfnNorm).Forward(x)); // (B, T, C)
        if (_dropout.P > 0) m = _dropout.Forward(m);
        return x.Add(m);                                                     // (B, T, C)
    }
}
