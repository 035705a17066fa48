using System.Text.Json.Serialization;

namespace TinyLM.Models;

/// <summary>Which normalisation a decoder block uses.</summary>
public enum NormKind
{
    /// <summary>LayerNorm with weight and (when <see cref="CausalLMConfig.Bias"/>) bias — GPT-2, nanoGPT.</summary>
    LayerNorm,
    /// <summary>RMSNorm with weight only — llama.</summary>
    RmsNorm,
}

/// <summary>How positions enter the model.</summary>
public enum PositionKind
{
    /// <summary>A learned table added to the token embeddings (GPT-2 <c>wpe</c>).</summary>
    Learned,
    /// <summary>Rotary embedding of q and k inside attention (llama).</summary>
    Rotary,
}

/// <summary>The position-wise MLP of a block.</summary>
public enum MlpKind
{
    /// <summary>Linear → GELU → Linear (GPT-2).</summary>
    Gelu,
    /// <summary>w2(silu(w1·x) ⊙ w3·x) (llama).</summary>
    SwiGlu,
}

/// <summary>
/// Everything that fixes a decoder-only language model's architecture; one record covers the nanoGPT family
/// (learned positions, LayerNorm, GELU, bias, tied output) and the llama2.c family (RoPE, RMSNorm, SwiGLU,
/// no bias, GQA). Training settings live in the trainer's options.
/// </summary>
public sealed record CausalLMConfig
{
    /// <summary>Tokens in the vocabulary (V): rows of the embedding and columns of the logits.</summary>
    public int VocabSize { get; init; } = 65;
    /// <summary>Longest sequence the model attends over (T_max); sizes the position table and KV cache.</summary>
    public int ContextLength { get; init; } = 64;
    /// <summary>Decoder blocks.</summary>
    public int Layers { get; init; } = 4;
    /// <summary>Query heads per attention layer.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Key/value heads (GQA; must divide <see cref="Heads"/>); 0 means as many as query heads.</summary>
    public int KvHeads { get; init; }
    /// <summary>Model width (C); divisible by <see cref="Heads"/>.</summary>
    public int EmbedDim { get; init; } = 128;
    /// <summary>MLP hidden width; 0 means 4·C for GELU.</summary>
    public int HiddenDim { get; init; }
    /// <summary>Normalisation kind.</summary>
    public NormKind Norm { get; init; } = NormKind.LayerNorm;
    /// <summary>Epsilon of the normalisation.</summary>
    public float NormEps { get; init; } = 1e-5f;
    /// <summary>Learned or rotary positions.</summary>
    public PositionKind Positions { get; init; } = PositionKind.Learned;
    /// <summary>RoPE base θ (rotary positions only).</summary>
    public float RopeTheta { get; init; } = 10000f;
    /// <summary>GELU or SwiGLU MLP.</summary>
    public MlpKind Mlp { get; init; } = MlpKind.Gelu;
    /// <summary>
    /// With <see cref="MlpKind.Gelu"/>: the exact (erf) GELU of PyTorch's nn.GELU() (nanoGPT) instead of the tanh
    /// approximation (GPT-2). False by default so model files written before this field keep their activation.
    /// </summary>
    public bool ExactGelu { get; init; }
    /// <summary>Biases on linear layers (and LayerNorm).</summary>
    public bool Bias { get; init; } = true;
    /// <summary>Output projection shares the token embedding matrix.</summary>
    public bool TieWeights { get; init; } = true;
    /// <summary>Dropout on embeddings, residual branches and attention probabilities (training only).</summary>
    public float Dropout { get; init; }
    /// <summary>
    /// Start the residual-branch output projections (attention wo, MLP c_proj/w2) at zero instead of
    /// N(0, 0.02/√(2L)), so every block starts as the identity. Initialisation only: not stored in model files.
    /// </summary>
    [JsonIgnore] public bool ZeroInitResidual { get; init; }
    /// <summary>Seed for weight initialisation and dropout masks.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>H_kv after resolving the 0 default.</summary>
    [JsonIgnore] public int ResolvedKvHeads => KvHeads > 0 ? KvHeads : Heads;
    /// <summary>MLP width after resolving the 0 default.</summary>
    [JsonIgnore] public int ResolvedHiddenDim => HiddenDim > 0 ? HiddenDim : 4 * EmbedDim;
    /// <summary>D = C / H.</summary>
    [JsonIgnore] public int HeadDim => EmbedDim / Math.Max(1, Heads);

    /// <summary>
    /// nanoGPT's "baby GPT" for a CPU on tinyshakespeare, char-level (set <see cref="VocabSize"/> to the tokenizer's):
    /// as nanoGPT's train.py, no biases (its default <c>bias = False</c>, which config/train_shakespeare_char.py keeps)
    /// and the exact GELU of nn.GELU().
    /// </summary>
    public static CausalLMConfig NanoGptShakespeareCpu => new()
    {
        VocabSize = 65, ContextLength = 64, Layers = 4, Heads = 4, EmbedDim = 128, Norm = NormKind.LayerNorm,
        Positions = PositionKind.Learned, Mlp = MlpKind.Gelu, ExactGelu = true, Bias = false, TieWeights = true, Dropout = 0f,
    };

    /// <summary>llama2.c's stories15M shape.</summary>
    public static CausalLMConfig Stories15M => new()
    {
        VocabSize = 32000, ContextLength = 256, Layers = 6, Heads = 6, KvHeads = 6, EmbedDim = 288, HiddenDim = 768,
        Norm = NormKind.RmsNorm, NormEps = 1e-5f, Positions = PositionKind.Rotary, Mlp = MlpKind.SwiGlu, Bias = false,
        TieWeights = true, Dropout = 0f,
    };

    /// <summary>llama2.c's stories110M shape.</summary>
    public static CausalLMConfig Stories110M => Stories15M with
    {
        ContextLength = 1024, Layers = 12, Heads = 12, KvHeads = 12, EmbedDim = 768, HiddenDim = 2048,
    };

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"CausalLMConfig: {message}");
        }
        Require(VocabSize >= 2, $"VocabSize must be ≥ 2, got {VocabSize}.");
        Require(ContextLength >= 1, $"ContextLength must be ≥ 1, got {ContextLength}.");
        Require(Layers >= 1, $"Layers must be ≥ 1, got {Layers}.");
        Require(Heads >= 1 && EmbedDim >= 1 && EmbedDim % Heads == 0, $"EmbedDim ({EmbedDim}) must be a positive multiple of Heads ({Heads}).");
        Require(KvHeads >= 0 && ResolvedKvHeads <= Heads && Heads % ResolvedKvHeads == 0, $"KvHeads ({KvHeads}) must divide Heads ({Heads}).");
        Require(HiddenDim >= 0, $"HiddenDim must be ≥ 0, got {HiddenDim}.");
        Require(NormEps > 0 && float.IsFinite(NormEps), $"NormEps must be positive, got {NormEps}.");
        Require(Positions != PositionKind.Rotary || HeadDim % 2 == 0, $"rotary positions need an even head dimension, got {HeadDim}.");
        Require(Positions != PositionKind.Rotary || RopeTheta > 1f, $"RopeTheta must be > 1, got {RopeTheta}.");
        Require(Dropout is >= 0f and < 1f, $"Dropout must be in [0, 1), got {Dropout}.");
    }
}

/// <summary>AOT-safe JSON for <see cref="CausalLMConfig"/> (it travels inside the model file).</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = false,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CausalLMConfig))]
public sealed partial class CausalLMJsonContext : JsonSerializerContext;
