using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>An inference-only forward pass for a <see cref="TextClassifier"/> (e.g. int8 weights).</summary>
public interface IClassifierEngine
{
    /// <summary>How the weights are stored, e.g. "int8" (also the file's <c>tinylm.quantization</c> type).</summary>
    string Scheme { get; }

    /// <summary>Logits (B, C) for a padded batch of ids, as <see cref="TextClassifier.Forward"/> gives in eval mode.</summary>
    Tensor Forward(PaddedBatch batch);
}
