using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.IO;

/// <summary>
/// Moves weights between <see cref="CausalLM"/> and the interchange form <see cref="LlamaWeights"/> (llama2.c
/// layout). Only llama-architecture configs convert: RMSNorm, rotary positions, SwiGLU, no biases.
/// </summary>
public static class LlamaConversion
{
    /// <summary>The <see cref="CausalLMConfig"/> of a llama shape.</summary>
    public static CausalLMConfig ToConfig(LlamaShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return new CausalLMConfig
        {
            VocabSize = shape.VocabSize, ContextLength = shape.ContextLength, Layers = shape.Layers, Heads = shape.Heads,
            KvHeads = shape.KvHeads, EmbedDim = shape.Dim, HiddenDim = shape.HiddenDim, Norm = NormKind.RmsNorm,
            NormEps = shape.NormEpsilon, Positions = PositionKind.Rotary, RopeTheta = shape.RopeTheta, Mlp = MlpKind.SwiGlu,
            Bias = false, TieWeights = shape.SharedClassifier, Dropout = 0f,
        };
    }

    /// <summary>The llama shape of <paramref name="config"/>; throws naming the first non-llama feature.</summary>
    public static LlamaShape ToShape(CausalLMConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string? problem = config.Norm != NormKind.RmsNorm ? $"norm {config.Norm} (llama uses RmsNorm)"
            : config.Positions != PositionKind.Rotary ? $"positions {config.Positions} (llama uses Rotary)"
            : config.Mlp != MlpKind.SwiGlu ? $"MLP {config.Mlp} (llama uses SwiGlu)"
            : config.Bias ? "biases on linear layers (llama has none)"
            : null;
        if (problem is not null)
            throw new ArgumentException($"this model is not llama-architecture: {problem}; only llama-architecture models convert to llama2.c or GGUF.");
        return new LlamaShape(config.EmbedDim, config.ResolvedHiddenDim, config.Layers, config.Heads, config.ResolvedKvHeads,
            config.VocabSize, config.ContextLength, config.TieWeights, config.NormEps, config.RopeTheta);
    }

    /// <summary>A model holding a copy of <paramref name="weights"/>.</summary>
    public static CausalLM ToModel(LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var model = new CausalLM(ToConfig(weights.Shape));
        Copy(model, weights, toModel: true);
        return model;
    }

    /// <summary>A copy of <paramref name="model"/>'s weights in llama2.c layout.</summary>
    public static LlamaWeights FromModel(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var weights = new LlamaWeights(ToShape(model.Config));
        Copy(model, weights, toModel: false);
        return weights;
    }

    /// <summary>
    /// The model's parameters in the order llama2.c stores them — each with the name of its llama array (a per-layer
    /// array yields one parameter per layer, layer 0 first) — so a reader can stream a file straight into the model
    /// without holding a second copy. Same layout as <see cref="ToModel"/> copies.
    /// </summary>
    public static IEnumerable<(string Array, Tensor Parameter)> ParametersInFileOrder(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var p = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var kv in model.NamedParameters()) p[kv.Key] = kv.Value;
        Tensor Get(string name) => p.TryGetValue(name, out Tensor? t) ? t : throw new InvalidOperationException($"LlamaConversion: the model has no parameter '{name}'.");
        yield return ("token_embedding_table", Get("tok_embeddings.weight"));
        foreach (var (array, suffix) in PerLayer)
            for (int l = 0; l < model.Config.Layers; l++) yield return (array, Get($"layers.{l}.{suffix}"));
        yield return ("rms_final_weight", Get("norm.weight"));
        if (!model.Config.TieWeights) yield return ("wcls", Get("output.weight"));
    }

    // The per-layer llama arrays in file order, with the model's parameter name under layers.{l}.
    private static readonly (string Array, string Suffix)[] PerLayer =
    [
        ("rms_att_weight", "attention_norm.weight"), ("wq", "attention.wq.weight"), ("wk", "attention.wk.weight"), ("wv", "attention.wv.weight"),
        ("wo", "attention.wo.weight"), ("rms_ffn_weight", "ffn_norm.weight"), ("w1", "feed_forward.w1.weight"), ("w2", "feed_forward.w2.weight"),
        ("w3", "feed_forward.w3.weight"),
    ];

    private static void Copy(CausalLM model, LlamaWeights w, bool toModel)
    {
        var p = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var kv in model.NamedParameters()) p[kv.Key] = kv.Value;
        void Move(string name, float[] stacked, int layer)
        {
            Tensor t = p.TryGetValue(name, out Tensor? found) ? found : throw new InvalidOperationException($"LlamaConversion: the model has no parameter '{name}'.");
            int n = t.Length;
            if (stacked.Length % n != 0)
                throw new InvalidOperationException($"LlamaConversion: parameter '{name}' has {n} values, the llama array {stacked.Length}.");
            Span<float> slice = stacked.AsSpan(layer * n, n);
            if (toModel) slice.CopyTo(t.AsSpan());
            else t.Contiguous().AsSpan().CopyTo(slice);
        }
        Move("tok_embeddings.weight", w.TokenEmbedding, 0);
        for (int l = 0; l < w.Shape.Layers; l++)
        {
            string b = $"layers.{l}.";
            Move(b + "attention_norm.weight", w.AttentionNorm, l);
            Move(b + "attention.wq.weight", w.Wq, l);
            Move(b + "attention.wk.weight", w.Wk, l);
            Move(b + "attention.wv.weight", w.Wv, l);
            Move(b + "attention.wo.weight", w.Wo, l);
            Move(b + "ffn_norm.weight", w.FfnNorm, l);
            Move(b + "feed_forward.w1.weight", w.W1, l);
            Move(b + "feed_forward.w2.weight", w.W2, l);
            Move(b + "feed_forward.w3.weight", w.W3, l);
        }
        Move("norm.weight", w.FinalNorm, 0);
        if (w.Classifier is { } cls) Move("output.weight", cls, 0);
    }
}
