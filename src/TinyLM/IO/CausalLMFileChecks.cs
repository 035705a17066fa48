using TinyLM.Models;

namespace TinyLM.IO;

/// <summary>
/// Checks a causal LM's config against the tensors of its file before the model is built: building allocates every
/// weight the config implies, so a hostile or inconsistent config (vocab_size 10⁹, 10⁶ layers) must fail on the
/// file's own evidence first, with a message naming the field, instead of allocating gigabytes or failing later.
/// </summary>
internal static class CausalLMFileChecks
{
    // A stored weight takes at least ~0.56 bytes (q4 blocks); 2 elements per byte leaves room for any storage, and the
    // constant covers norms and biases of tiny models.
    private const double MaxElementsPerStoredByte = 2;
    private const long SlackElements = 1 << 20;

    public static void Check(CausalLMConfig config, ModelFileContents contents, string path)
    {
        if (contents.TryGetTensor("tok_embeddings.weight", out var embedding) && embedding.DType == SafeTensorDType.F32
            && (embedding.Shape.Length != 2 || embedding.Shape[0] != config.VocabSize || embedding.Shape[1] != config.EmbedDim))
            throw new ModelFormatException(path, $"config vocab_size {config.VocabSize} × embed_dim {config.EmbedDim} disagrees with tensor " +
                                                 $"'tok_embeddings.weight' of shape [{string.Join(", ", embedding.ShapeArray())}].");
        // A missing layer fails when its weights are loaded; an extra one would be silently ignored and run half a model.
        if (contents.Tensors.Any(t => t.Name.StartsWith($"layers.{config.Layers}.", StringComparison.Ordinal)))
            throw new ModelFormatException(path, $"config layers {config.Layers} but the file holds tensors of layer {config.Layers} (and maybe more).");

        long stored = contents.Tensors.Sum(t => (long)t.Data.Length);
        double implied = Implied(config);
        if (implied > MaxElementsPerStoredByte * stored + SlackElements)
            throw new ModelFormatException(path, $"config implies about {implied:G3} weights but the file holds only {stored:N0} bytes of tensors " +
                                                 "(a corrupt or hostile config); refusing to allocate it.");
    }

    // Weights the config implies, in double so no product overflows: embeddings, attention, MLP, output.
    private static double Implied(CausalLMConfig c)
    {
        double C = c.EmbedDim, kv = (double)c.ResolvedKvHeads * (c.EmbedDim / Math.Max(1, c.Heads)), f = c.ResolvedHiddenDim;
        double perLayer = C * C * 2 + 2 * C * kv + 3 * C * f;
        return (double)c.VocabSize * C * (c.TieWeights ? 1 : 2) + (double)c.Layers * perLayer
               + (c.Positions == PositionKind.Learned ? (double)c.ContextLength * C : 0);
    }
}
