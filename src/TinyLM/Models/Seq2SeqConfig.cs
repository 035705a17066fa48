using System.Text.Json.Serialization;

namespace TinyLM.Models;

/// <summary>Which encoder–decoder a <see cref="Seq2SeqModel"/> is.</summary>
public enum Seq2SeqArch
{
    /// <summary>Bidirectional GRU encoder, GRU decoder with attention.</summary>
    Rnn,
    /// <summary>Pre-LN Transformer encoder–decoder.</summary>
    Transformer,
}

/// <summary>Attention of the RNN decoder.</summary>
public enum RnnAttention
{
    /// <summary>Luong's dot product on the decoder output (optionally with input feeding).</summary>
    Dot,
    /// <summary>Bahdanau's additive attention on the previous state, its context fed into the GRU step.</summary>
    Additive,
}

/// <summary>
/// Everything that fixes a translation model's architecture and vocabularies. Training settings live in
/// <c>TrainOptions</c>, so a saved model carries only what is needed to run it.
/// </summary>
public sealed record Seq2SeqConfig
{
    /// <summary>Encoder–decoder family.</summary>
    public Seq2SeqArch Arch { get; init; } = Seq2SeqArch.Transformer;
    /// <summary>RNN only: attention kind.</summary>
    public RnnAttention Attention { get; init; } = RnnAttention.Dot;
    /// <summary>
    /// RNN with <see cref="RnnAttention.Dot"/>: feed the previous attentional vector into the decoder GRU (Luong's input
    /// feeding). Costs a decoder op per target position (the decoder GRU no longer runs as one fused op), but lets
    /// the decoder know what it attended to last.
    /// </summary>
    public bool InputFeeding { get; init; }
    /// <summary>Byte-level BPE vocabulary size to train (per side when not shared).</summary>
    public int VocabSize { get; init; } = 8000;
    /// <summary>One tokenizer and embedding table for source and target (also ties the output layer).</summary>
    public bool SharedVocab { get; init; } = true;
    /// <summary>Source vocabulary size actually trained (set when the tokenizers are built).</summary>
    public int SourceVocab { get; init; }
    /// <summary>Target vocabulary size actually trained.</summary>
    public int TargetVocab { get; init; }
    /// <summary>Embedding width (Transformer: the model width).</summary>
    public int EmbedDim { get; init; } = 256;
    /// <summary>RNN: hidden width (encoder per direction and decoder). Transformer: MLP width.</summary>
    public int Hidden { get; init; } = 1024;
    /// <summary>Encoder layers, and as many decoder layers.</summary>
    public int Layers { get; init; } = 3;
    /// <summary>Transformer: attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Dropout on embeddings, residual branches and attention probabilities.</summary>
    public float Dropout { get; init; } = 0.1f;
    /// <summary>Longest source accepted, in tokens (end-of-sentence included).</summary>
    public int MaxSourceLength { get; init; } = 256;
    /// <summary>Longest target generated, in tokens.</summary>
    public int MaxTargetLength { get; init; } = 256;
    /// <summary>Seed for weight initialisation and dropout.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Multi30k de→en on a 2-core CPU: 3+3 layers, width 256, 4 heads, MLP 1024, shared 8k BPE.</summary>
    public static Seq2SeqConfig Multi30kTransformer => new();

    /// <summary>Multi30k de→en, RNN: BiGRU(256) encoder, GRU(256) decoder, dot attention, 1 layer.</summary>
    public static Seq2SeqConfig Multi30kRnn => new()
    {
        Arch = Seq2SeqArch.Rnn, EmbedDim = 256, Hidden = 256, Layers = 1, Dropout = 0.2f,
    };

    /// <summary>A tiny model for tests and toy tasks.</summary>
    public static Seq2SeqConfig Tiny => new()
    {
        EmbedDim = 32, Hidden = 64, Layers = 1, Heads = 2, Dropout = 0f, VocabSize = 300,
    };

    /// <summary>The preset for an architecture.</summary>
    public static Seq2SeqConfig For(Seq2SeqArch arch) => arch == Seq2SeqArch.Rnn ? Multi30kRnn : Multi30kTransformer;

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"Seq2SeqConfig: {message}");
        }
        Require(VocabSize >= 259 + 3, $"VocabSize must be ≥ 262 (specials + 256 bytes), got {VocabSize}.");
        Require(EmbedDim >= 1, $"EmbedDim must be ≥ 1, got {EmbedDim}.");
        Require(Hidden >= 1, $"Hidden must be ≥ 1, got {Hidden}.");
        Require(Layers >= 1, $"Layers must be ≥ 1, got {Layers}.");
        Require(Heads >= 1 && (Arch != Seq2SeqArch.Transformer || EmbedDim % Heads == 0),
            $"Transformer needs EmbedDim ({EmbedDim}) divisible by Heads ({Heads}).");
        Require(Dropout is >= 0f and < 1f, $"Dropout must be in [0, 1), got {Dropout}.");
        Require(MaxSourceLength >= 2 && MaxTargetLength >= 2, $"MaxSourceLength/MaxTargetLength must be ≥ 2, got {MaxSourceLength}/{MaxTargetLength}.");
        Require(SourceVocab >= 0 && TargetVocab >= 0, "SourceVocab/TargetVocab must be ≥ 0.");
    }
}

/// <summary>AOT-safe JSON for the config (it travels inside the model file).</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = false,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Seq2SeqConfig))]
public sealed partial class Seq2SeqJsonContext : JsonSerializerContext;
