using System.Globalization;
using System.Runtime.InteropServices;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training.Insight;
using TinyLM.Training;

namespace TinyLM.Cli.Insight;

/// <summary>
/// <c>eval --report FILE.html</c>: the classification report as a page — scores, per-class precision/recall/F1 bars,
/// the confusion matrix as a heat map, the worst-classified texts with the tokens that pushed them to the wrong label,
/// the model's configuration and size, timings and the machine.
/// </summary>
internal static class EvalReport
{
    /// <summary>Misclassified texts shown, the least probable true label first.</summary>
    public const int WorstTexts = 10;

    public static string Build(TextClassifier model, string modelPath, TextDataset data, ClassificationReport report, double evalSeconds)
    {
        var texts = data.Examples.Select(e => e.Text).ToList();
        var probabilities = model.PredictProbabilities(texts);
        var labels = model.Labels;
        var worst = Enumerable.Range(0, texts.Count)
            .Select(i => (Index: i, True: labels.IndexOf(data.Examples[i].Label), Probs: probabilities[i]))
            .Select(x => (x.Index, x.True, Predicted: System.Numerics.Tensors.TensorPrimitives.IndexOfMax(x.Probs), PTrue: x.Probs[x.True]))
            .Where(x => x.Predicted != x.True).OrderBy(x => x.PTrue).ThenBy(x => x.Index).Take(WorstTexts).ToList();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var w in worst)
        {
            var why = ClassifierExplainer.Explain(model, texts[w.Index], label: w.Predicted);
            float scale = why.Tokens.Count == 0 ? 0 : why.Tokens.Max(t => Math.Abs(t.Score));
            rows.Add([HtmlReport.Text(labels[w.True]), HtmlReport.Text(labels[w.Predicted]), w.PTrue.ToString("F3", CultureInfo.InvariantCulture),
                string.Join(' ', why.Tokens.Select(t => HtmlReport.Token(t.Piece, t.Score, scale)))]);
        }
        var names = report.Labels;
        var perClass = report.PerClass;
        var page = new HtmlReport($"tinylm eval {Path.GetFileName(modelPath)} on {data.Source}")
            .Section("Scores", HtmlReport.Facts([
                ("accuracy", F(report.Accuracy)), ("macro F1", F(report.MacroF1)), ("weighted F1", F(report.WeightedF1)), ("texts", report.Count.ToString(CultureInfo.InvariantCulture)),
            ]))
            .Section("Precision, recall and F1 per class", SvgCharts.Bars(names, [
                ("precision", "#4c72b0", [.. perClass.Select(c => c.Precision)]), ("recall", "#dd8452", [.. perClass.Select(c => c.Recall)]),
                ("F1", "#55a868", [.. perClass.Select(c => c.F1)]),
            ]))
            .Section("Confusion matrix (rows: true label, columns: predicted)", SvgCharts.Heatmap(names, report.ConfusionMatrix()))
            .Section($"Worst-classified texts ({worst.Count} of {report.Count - (int)Math.Round(report.Accuracy * report.Count)} wrong; tokens shaded by their push towards the wrong label, {ClassifierExplainer.DefaultMethod(model).ToString().ToLowerInvariant()})",
                worst.Count == 0 ? "<p>none: every text is classified right.</p>" : HtmlReport.Table(["true", "predicted", "p(true)", "text"], rows))
            .Section("Model", HtmlReport.Facts([
                ("file", modelPath), ("bytes", new FileInfo(modelPath).Length.ToString("N0", CultureInfo.InvariantCulture)),
                ("parameters", model.ParameterCount().ToString("N0", CultureInfo.InvariantCulture)), ("encoder", model.HasNetwork ? model.Config.Encoder.ToString().ToLowerInvariant() : "none (SVM alone)"),
                ("naive Bayes weight", F(model.Config.NaiveBayesWeight)), ("SVM weight", F(model.Config.LinearSvmWeight)), ("quantization", model.Quantization ?? "float32"),
                ("labels", string.Join(", ", names)),
            ]))
            .Section("Run", HtmlReport.Facts([
                ("evaluation seconds", evalSeconds.ToString("F2", CultureInfo.InvariantCulture)), ("date (UTC)", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)),
                ("machine", $"{Environment.MachineName}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}"),
                ("runtime", RuntimeInformation.FrameworkDescription), ("SIMD", Simd.Level.ToString()), ("threads", Threading.MaxThreads.ToString(CultureInfo.InvariantCulture)),
            ]));
        return page.ToString();
    }

    private static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
