using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>Keras-style <c>model.Fit(...)</c> for text classifiers.</summary>
public static class ClassifierFit
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> with <paramref name="options"/> (default: the
    /// recipe for the model's encoder), validating on <paramref name="validation"/> after every epoch when given.
    /// </summary>
    public static TrainResult Fit(this TextClassifier model, TextDataset train, TextDataset? validation = null,
        TrainOptions? options = null, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= ClassifierRecipes.For(model.Config.Encoder).Training;
        return new ClassifierTrainer(model, options) { Progress = progress }.Fit(train, validation, cancel);
    }
}
