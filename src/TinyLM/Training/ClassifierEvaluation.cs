using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>Evaluation of a classifier on labelled data: the scikit-learn style report.</summary>
public static class ClassifierEvaluation
{
    /// <summary>
    /// Predicts every example and compares with its label. A label the model has never seen is bad input:
    /// the error names the file and line.
    /// </summary>
    public static ClassificationReport Evaluate(this ClassifierMixture mixture, TextDataset data, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        ArgumentNullException.ThrowIfNull(data);
        var truth = TrueLabels(mixture.Labels, data);
        var texts = data.Examples.Select(e => e.Text).ToArray();
        var predicted = mixture.Predict(texts, batchSize);
        return new ClassificationReport(truth, predicted, mixture.Labels.Labels);
    }

    /// <summary>Evaluates what the classifier predicts: its network mixed with its heads (<see cref="TextClassifier.Mixture"/>).</summary>
    public static ClassificationReport Evaluate(this TextClassifier model, TextDataset data, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Mixture.Evaluate(data, batchSize);
    }

    /// <summary>Label index of each example; unknown labels fail with file and line.</summary>
    public static int[] TrueLabels(LabelMap labels, TextDataset data)
    {
        var y = new int[data.Count];
        for (int i = 0; i < y.Length; i++)
        {
            var example = data.Examples[i];
            if (!labels.TryGetIndex(example.Label, out y[i]))
                throw new DataFormatException(data.Source, example.Line,
                    $"label \"{example.Label}\" is not one the model was trained on ({string.Join(", ", labels.Labels.Take(20))}).");
        }
        return y;
    }
}
