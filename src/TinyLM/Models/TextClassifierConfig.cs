using System.Text.Json.Serialization;

namespace TinyLM.Models;

/// <summary>
/// Everything that fixes a text classifier's architecture and preprocessing. Training settings
/// (epochs, learning rate…) live in the trainer's options, not here, so a saved model carries only
/// what is needed to run it.
/// </summary>
public sealed record TextClassifierConfig
{
    /// <summary>Encoder architecture.</summary>
    public EncoderKind Encoder { get; init; } = EncoderKind.BiLstm;
    /// <summary>Word vocabulary cap, padding and OOV ids included (Keras num_words).</summary>
    public int VocabSize { get; init; } = 10_000;
    /// <summary>Tokens kept per text; longer texts are cut at <see cref="Truncation"/>.</summary>
    public int MaxLength { get; init; } = 100;
    /// <summary>Which end of a long text is cut.</summary>
    public TruncationSide Truncation { get; init; } = TruncationSide.End;
    /// <summary>Embedding width.</summary>
    public int EmbedDim { get; init; } = 64;
    /// <summary>
    /// Standard deviation of the initial embeddings (N(0, σ²)); null means 1, which suits sequence encoders (and
    /// is what files written before this field hold). The bag wants them small, as fastText does, or the random
    /// start of rare words and bigrams outweighs what a few updates teach them.
    /// </summary>
    public float? EmbedInitStd { get; init; }
    /// <summary>Hidden width per direction (recurrent), filters per width (CNN), model width (Transformer: must equal EmbedDim).</summary>
    public int Hidden { get; init; } = 64;
    /// <summary>Stacked recurrent layers or Transformer blocks.</summary>
    public int Layers { get; init; } = 1;
    /// <summary>Dropout before the output layer (and between blocks).</summary>
    public float Dropout { get; init; } = 0.0f;
    /// <summary>How per-position features become one vector.</summary>
    public PoolingKind Pooling { get; init; } = PoolingKind.Last;
    /// <summary>Bag encoder: hashed word-bigram buckets (0 = unigrams only).</summary>
    public int BigramBuckets { get; init; } = 0;
    /// <summary>
    /// Bag encoder: the vocabulary also holds every word bigram of the training data (exact, no hashing), and each
    /// text's ids are its words followed by its known bigrams. Exclusive with <see cref="BigramBuckets"/>.
    /// </summary>
    public bool WordBigrams { get; init; }
    /// <summary>
    /// γ of the naive Bayes mixture (see <see cref="NaiveBayesHead"/>): 0 = the network alone (and no naive Bayes
    /// weights in the model), up to 1 = naive Bayes alone.
    /// </summary>
    public float NaiveBayesWeight { get; init; }
    /// <summary>
    /// λ of the tf-idf linear SVM mixture (see <see cref="LinearSvmHead"/>): 0 = none (and no SVM weights in the
    /// model), up to 1 = the SVM alone. Files written before this field read as 0.
    /// </summary>
    public float LinearSvmWeight { get; init; }
    /// <summary>
    /// The linear SVM alone makes up the model (λ = 1): no embedding, encoder or output layer, whose logits the mixture
    /// would multiply by 0 anyway. The other architecture fields are then unused. Files written before this field read as
    /// false (their SVM-alone models carry a 1-wide network).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool SvmOnly { get; init; }
    /// <summary>CNN encoder: kernel widths.</summary>
    public int[] KernelWidths { get; init; } = [3, 4, 5];
    /// <summary>Transformer: attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Transformer: MLP width as a multiple of the model width.</summary>
    public int MlpRatio { get; init; } = 4;
    /// <summary>Transformer: width of each attention head; 0 = EmbedDim / Heads (pruned heads make it differ).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int HeadDim { get; init; }
    /// <summary>Transformer: MLP width; 0 = EmbedDim · MlpRatio (pruned neurons make it differ).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int MlpHidden { get; init; }

    /// <summary>The MLP width a Transformer block gets.</summary>
    [JsonIgnore]
    public int ResolvedMlpHidden => MlpHidden > 0 ? MlpHidden : EmbedDim * MlpRatio;
    /// <summary>Several labels per text (sigmoid outputs) instead of one (softmax).</summary>
    public bool MultiLabel { get; init; }
    /// <summary>Seed for weight initialisation and dropout.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The seed's worked example: word tokenizer (10,000) → pad to 100 → Embedding(64) → BiLSTM(64) → softmax.</summary>
    public static TextClassifierConfig SeedBiLstm => new();

    /// <summary>
    /// fastText's model: the mean of word embeddings (add hashed bigrams with <see cref="BigramBuckets"/>; on R8
    /// and MR they did not help in our measurements), with dropout on the mean.
    /// </summary>
    public static TextClassifierConfig FastTextBag => new()
    {
        Encoder = EncoderKind.Bag, VocabSize = 50_000, MaxLength = 1000, EmbedDim = 64, BigramBuckets = 0, Pooling = PoolingKind.Mean,
        Dropout = 0.5f,
    };

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"TextClassifierConfig: {message}");
        }
        Require(VocabSize >= 3, $"VocabSize must be ≥ 3, got {VocabSize}.");
        Require(MaxLength >= 1, $"MaxLength must be ≥ 1, got {MaxLength}.");
        Require(EmbedDim >= 1, $"EmbedDim must be ≥ 1, got {EmbedDim}.");
        Require(EmbedInitStd is null or (> 0f and < float.PositiveInfinity), $"EmbedInitStd must be positive, got {EmbedInitStd}.");
        Require(Hidden >= 1, $"Hidden must be ≥ 1, got {Hidden}.");
        Require(Layers >= 1, $"Layers must be ≥ 1, got {Layers}.");
        Require(Dropout is >= 0f and < 1f, $"Dropout must be in [0, 1), got {Dropout}.");
        Require(BigramBuckets >= 0, $"BigramBuckets must be ≥ 0, got {BigramBuckets}.");
        Require(!(WordBigrams && BigramBuckets > 0), "WordBigrams and BigramBuckets are exclusive: choose exact or hashed bigrams.");
        Require(NaiveBayesWeight is >= 0f and <= 1f, $"NaiveBayesWeight must be in [0, 1], got {NaiveBayesWeight}.");
        Require(NaiveBayesWeight == 0f || !MultiLabel, "NaiveBayesWeight needs a single-label classifier.");
        Require(LinearSvmWeight is >= 0f and <= 1f, $"LinearSvmWeight must be in [0, 1], got {LinearSvmWeight}.");
        Require(LinearSvmWeight == 0f || !MultiLabel, "LinearSvmWeight needs a single-label classifier.");
        Require(!SvmOnly || (LinearSvmWeight == 1f && NaiveBayesWeight == 0f),
            $"SvmOnly needs LinearSvmWeight 1 and NaiveBayesWeight 0 (the SVM alone decides), got {LinearSvmWeight} and {NaiveBayesWeight}.");
        Require(KernelWidths is { Length: > 0 } && Array.TrueForAll(KernelWidths, w => w >= 1), "KernelWidths must be a non-empty list of positive widths.");
        Require(HeadDim >= 0 && MlpHidden >= 0, $"HeadDim ({HeadDim}) and MlpHidden ({MlpHidden}) must be ≥ 0.");
        Require(Heads >= 1 && (Encoder != EncoderKind.Transformer || HeadDim > 0 || EmbedDim % Heads == 0),
            $"Transformer needs EmbedDim ({EmbedDim}) divisible by Heads ({Heads}).");
        Require(MlpRatio >= 1, $"MlpRatio must be ≥ 1, got {MlpRatio}.");
    }
}

/// <summary>AOT-safe JSON for the config (it travels inside the model file).</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = false,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TextClassifierConfig))]
public sealed partial class ModelsJsonContext : JsonSerializerContext;
