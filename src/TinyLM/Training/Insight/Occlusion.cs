using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training.Insight;

/// <summary>
/// Occlusion: token t's score is p(label | text) − p(label | text without position t), both from the whole saved model
/// (network mixed with its naive Bayes and SVM heads, as <see cref="TextClassifier.PredictProbabilities"/> computes).
/// Works on every classifier, the SVM alone and quantized ones included; the text and its T shortened copies are scored
/// as batches.
/// </summary>
public static class Occlusion
{
    private const int BatchSize = 64;

    /// <summary>The whole model's probabilities for <paramref name="ids"/> and for each copy with one position dropped.</summary>
    internal static float[][] Probabilities(TextClassifier model, int[] ids)
    {
        // A text of one token occluded is empty: it reads as the model reads a text with no known word.
        var nothing = model.Inputs.Encode(string.Empty);
        var sequences = new int[ids.Length + 1][];
        sequences[0] = ids;
        for (int i = 0; i < ids.Length; i++)
            sequences[i + 1] = ids.Length == 1 ? nothing : [.. ids[..i], .. ids[(i + 1)..]];
        var result = new float[sequences.Length][];
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var indices in Batching.Sequential(sequences.Length, BatchSize))
            {
                using var scope = new TensorScope();
                var logits = model.Mixture.Logits(Batching.Pad(sequences, indices)); // (B, C)
                var probs = (model.Config.MultiLabel ? logits.Sigmoid() : logits.Softmax(-1)).ToArray();
                int c = model.Labels.Count;
                for (int r = 0; r < indices.Length; r++) result[indices[r]] = probs.AsSpan(r * c, c).ToArray();
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return result;
    }
}
