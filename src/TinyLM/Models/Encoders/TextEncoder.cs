using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Models.Encoders;

/// <summary>Turns embedded tokens (B, T, E) with per-text lengths into one feature vector per text (B, F).</summary>
public abstract class TextEncoder : Module
{
    /// <summary>F, the width of the features this encoder produces.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Encodes a padded batch; positions at or past each text's length must not matter.</summary>
    public abstract Tensor Forward(Tensor embedded, int[] lengths);

    /// <summary>Builds the encoder a config asks for.</summary>
    public static TextEncoder Create(TextClassifierConfig config, Rng rng) => config.Encoder switch
    {
        EncoderKind.Bag => new BagEncoder(config.EmbedDim),
        EncoderKind.BiLstm or EncoderKind.BiGru => new RecurrentEncoder(config, rng),
        EncoderKind.Cnn => new CnnEncoder(config, rng),
        EncoderKind.Transformer => new TransformerTextEncoder(config, rng),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Encoder, "unknown encoder"),
    };
}
