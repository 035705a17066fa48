using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>A dataset's labels as a classifier's loss needs them: the label index per example, and for multi-label a 0/1 row.</summary>
internal sealed record ClassifierTargets(int[] Single, float[]? Multi, int Classes)
{
    public static ClassifierTargets Of(TextClassifier model, TextDataset data)
    {
        var first = ClassifierEvaluation.TrueLabels(model.Labels, data);
        int c = model.Labels.Count;
        if (!model.Config.MultiLabel) return new ClassifierTargets(first, null, c);
        var multi = new float[data.Count * c];
        for (int i = 0; i < data.Count; i++)
            foreach (var label in data.Examples[i].Labels)
                if (model.Labels.TryGetIndex(label, out int k)) multi[i * c + k] = 1f;
        return new ClassifierTargets(first, multi, c);
    }

    /// <summary>Cross-entropy of the examples <paramref name="indices"/> (binary cross-entropy per class for multi-label).</summary>
    public Tensor Loss(Tensor logits, int[] indices, float labelSmoothing)
    {
        if (Multi is null)
        {
            var y = new int[indices.Length];
            for (int i = 0; i < y.Length; i++) y[i] = Single[indices[i]];
            return Tensor.CrossEntropy(logits, new IntTensor(y, y.Length), labelSmoothing: labelSmoothing);
        }
        var rows = new float[indices.Length * Classes];
        for (int i = 0; i < indices.Length; i++) Multi.AsSpan(indices[i] * Classes, Classes).CopyTo(rows.AsSpan(i * Classes));
        return Tensor.BinaryCrossEntropyWithLogits(logits, Tensor.FromArray(rows, indices.Length, Classes));
    }

    /// <summary>Examples whose top logit is their (first) label.</summary>
    public int CountCorrect(Tensor logits, int[] indices)
    {
        var values = logits.Contiguous().AsSpan();
        int c = logits.Dim(1), correct = 0;
        for (int i = 0; i < indices.Length; i++)
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values.Slice(i * c, c)) == Single[indices[i]]) correct++;
        return correct;
    }
}
