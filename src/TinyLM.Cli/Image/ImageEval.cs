using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Training;

namespace TinyLM.Cli.Image;

/// <summary><c>tinylm eval MODEL DATA</c> for an image classifier: the same scikit-learn style report as for text.</summary>
public static class ImageEval
{
    /// <summary>True when <paramref name="modelPath"/> holds an image classifier (a readable .tlm of that kind).</summary>
    public static bool IsImageModel(string modelPath) =>
        File.Exists(modelPath) && ModelFile.Load(modelPath).Kind == ModelKind.ImageClassifier;

    public static int Run(string modelPath, string data, string? dataDir, bool json)
    {
        var model = ImageClassifierFile.Load(modelPath);
        var (images, labels, _) = ImageDataArgument.Resolve(data, "t10k", dataDir, "FILE");
        var set = ImageDataArgument.Read(images, labels);
        CliError.Check(() => model.CheckShape(set), ExitCodes.BadInput);
        var report = new ClassificationReport(set.Labels, model.Predict(set), model.Labels);
        if (json) Console.Out.WriteLine(report.ToJson());
        else Console.Out.Write(report.ToText());
        return ExitCodes.Ok;
    }
}
