using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.Compression;

/// <summary>Removes attention heads from a Transformer classifier.</summary>
internal static class PruningHeads
{
    public static TextClassifier Prune(TextClassifier model, Dictionary<string, Tensor> p, double sparsity) =>
        throw new NotSupportedException("structured pruning: head pruning is not implemented yet.");
}
