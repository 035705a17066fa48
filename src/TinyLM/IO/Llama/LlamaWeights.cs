using TinyLM.Tensors;

namespace TinyLM.IO;

/// <summary>
/// Hyper-parameters of a llama-architecture decoder (pre-norm RMSNorm, rotary positions, SwiGLU MLP,
/// grouped-query attention), as the llama2.c checkpoint header and GGUF's llama.* keys describe it.
/// </summary>
public sealed record LlamaShape(
    int Dim,                        // C, model width
    int HiddenDim,                  // F, SwiGLU hidden width
    int Layers,                     // L, transformer blocks
    int Heads,                      // H, query heads
    int KvHeads,                    // H_kv, key/value heads (divides H)
    int VocabSize,                  // V
    int ContextLength,              // maximum positions
    bool SharedClassifier = true,   // output projection tied to the token embedding
    float NormEpsilon = 1e-5f,      // RMSNorm epsilon (llama2.c: 1e-5)
    float RopeTheta = 10000f)       // rotary base frequency
{
    /// <summary>D = C / H.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>The llama2.c "15M" TinyStories shape (dim 288, 6 layers, 6 heads, hidden 768, vocab 32000, context 256).</summary>
    public static LlamaShape Stories15M { get; } = new(288, 768, 6, 6, 6, 32000, 256);

    /// <summary>The llama2.c "110M" TinyStories shape (dim 768, 12 layers, 12 heads, hidden 2048, vocab 32000, context 1024).</summary>
    public static LlamaShape Stories110M { get; } = new(768, 2048, 12, 12, 12, 32000, 1024);

    public override string ToString() =>
        $"dim {Dim}, hidden {HiddenDim}, {Layers} layers, {Heads} heads, {KvHeads} kv heads, vocab {VocabSize}{(SharedClassifier ? "" : " (own classifier)")}, context {ContextLength}";

    /// <summary>Throws when a size is non-positive or the heads do not divide evenly; <paramref name="source"/> names the file.</summary>
    public void Validate(string source)
    {
        if (Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || VocabSize <= 0 || ContextLength <= 0)
            throw new ModelFormatException(source, $"llama shape has a non-positive size: {this}.");
        if (Dim % Heads != 0 || HeadDim % 2 != 0)
            throw new ModelFormatException(source, $"llama shape: dim {Dim} must be a multiple of heads {Heads} with an even head size (got {Dim / (double)Heads}).");
        if (KvHeads > Heads || Heads % KvHeads != 0)
            throw new ModelFormatException(source, $"llama shape: kv heads {KvHeads} must divide heads {Heads}.");
        if (!(NormEpsilon > 0f) || !(RopeTheta > 1f))
            throw new ModelFormatException(source, $"llama shape: epsilon {NormEpsilon} must be > 0 and rope theta {RopeTheta} > 1.");
    }
}

/// <summary>
/// The weights of a llama-architecture decoder as plain row-major arrays, in llama2.c's layout: each
/// projection is (out, in) like a PyTorch Linear weight, layers stacked along the first axis. This is the
/// interchange form between llama2.c checkpoints, GGUF files and TinyLM models.
/// </summary>
public sealed class LlamaWeights
{
    public LlamaWeights(LlamaShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate("LlamaWeights");
        Shape = shape;
        int c = shape.Dim, f = shape.HiddenDim, l = shape.Layers, q = shape.Heads * shape.HeadDim, kv = shape.KvHeads * shape.HeadDim;
        TokenEmbedding = new float[(long)shape.VocabSize * c];
        AttentionNorm = new float[l * c];
        Wq = new float[(long)l * q * c];
        Wk = new float[(long)l * kv * c];
        Wv = new float[(long)l * kv * c];
        Wo = new float[(long)l * c * q];
        FfnNorm = new float[l * c];
        W1 = new float[(long)l * f * c];
        W2 = new float[(long)l * c * f];
        W3 = new float[(long)l * f * c];
        FinalNorm = new float[c];
        Classifier = shape.SharedClassifier ? null : new float[(long)shape.VocabSize * c];
    }

    public LlamaShape Shape { get; }

    /// <summary>(V, C).</summary>
    public float[] TokenEmbedding { get; }
    /// <summary>(L, C) RMSNorm gains before attention.</summary>
    public float[] AttentionNorm { get; }
    /// <summary>(L, H·D, C).</summary>
    public float[] Wq { get; }
    /// <summary>(L, H_kv·D, C).</summary>
    public float[] Wk { get; }
    /// <summary>(L, H_kv·D, C).</summary>
    public float[] Wv { get; }
    /// <summary>(L, C, H·D).</summary>
    public float[] Wo { get; }
    /// <summary>(L, C) RMSNorm gains before the MLP.</summary>
    public float[] FfnNorm { get; }
    /// <summary>(L, F, C) gate projection.</summary>
    public float[] W1 { get; }
    /// <summary>(L, C, F) down projection.</summary>
    public float[] W2 { get; }
    /// <summary>(L, F, C) up projection.</summary>
    public float[] W3 { get; }
    /// <summary>(C) final RMSNorm gain.</summary>
    public float[] FinalNorm { get; }
    /// <summary>(V, C) output projection, or null when tied to <see cref="TokenEmbedding"/>.</summary>
    public float[]? Classifier { get; }

    /// <summary>The output projection actually used: <see cref="Classifier"/> or the tied embedding.</summary>
    public float[] OutputWeights => Classifier ?? TokenEmbedding;

    /// <summary>
    /// Every array in llama2.c's file order with its name; the ropes' frequency tables of the legacy format are
    /// not weights and are not listed.
    /// </summary>
    public IEnumerable<(string Name, float[] Values)> Arrays()
    {
        yield return ("token_embedding_table", TokenEmbedding);
        yield return ("rms_att_weight", AttentionNorm);
        yield return ("wq", Wq);
        yield return ("wk", Wk);
        yield return ("wv", Wv);
        yield return ("wo", Wo);
        yield return ("rms_ffn_weight", FfnNorm);
        yield return ("w1", W1);
        yield return ("w2", W2);
        yield return ("w3", W3);
        yield return ("rms_final_weight", FinalNorm);
        if (Classifier is not null) yield return ("wcls", Classifier);
    }

    /// <summary>
    /// Seeded random weights (normal, std 0.02 for projections and embeddings; norm gains near 1), for tests and
    /// benchmarks that need a model of a given shape without a download.
    /// </summary>
    public static LlamaWeights Random(LlamaShape shape, ulong seed, float std = 0.02f)
    {
        var w = new LlamaWeights(shape);
        var rng = new Rng(seed);
        foreach ((string name, float[] values) in w.Arrays())
        {
            if (name.StartsWith("rms_", StringComparison.Ordinal))
                rng.Uniform(values, 0.8f, 1.2f);
            else
                rng.Normal(values, 0f, std);
        }
        return w;
    }
}
