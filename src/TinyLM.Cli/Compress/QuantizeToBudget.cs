using Spectre.Console;
using TinyLM.Cli.Common;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Cli.Compress;

/// <summary>
/// <c>tinylm quantize MODEL --out FILE --max-bytes N --data TRAIN [--eval TEST]</c>: the most accurate quantized SVM-alone
/// classifier (from a model with a tf-idf SVM head, alone or in a mixture) whose file fits N bytes (feature selection with refitting × SVM table precision, judged on a held-out slice
/// of TRAIN; see <see cref="ClassifierSizeSearch"/>), with the trade-off table of every candidate. No candidate under
/// the budget: exit 1, nothing written.
/// </summary>
internal static class QuantizeToBudget
{
    public sealed record Settings(long MaxBytes, string? Data, string? Eval, string? DataDir, bool SkipBad, bool Json);

    public static int Run(TextClassifier model, string input, string output, Settings settings)
    {
        if (SvmFeatureSelection.Unsupported(model) is { } why)
            throw new CliError($"--max-bytes: {input}: {why}.", model.Quantization is null ? ExitCodes.Usage : ExitCodes.BadInput);
        if (settings.Data is null)
            throw new CliError("--max-bytes needs --data TRAIN (a TSV file or dataset name): the search refits the SVM on it and judges candidates on a held-out slice of it.", ExitCodes.Usage);
        var training = InputData.ReadLabelled(settings.Data, "train.tsv", settings.DataDir, settings.SkipBad);
        var eval = settings.Eval is null ? null : InputData.ReadLabelled(settings.Eval, "test.tsv", settings.DataDir, settings.SkipBad);
        InputData.CheckLabels(model, training);
        InputData.CheckLabels(model, eval); // before the output is written: a failed command leaves no file
        if (model.HasNetwork)
            Console.Error.WriteLine($"note: {input} mixes a network with its tf-idf SVM; every candidate is the SVM alone over a pruned vocabulary (the network is dropped).");

        string probe = Path.Combine(Path.GetTempPath(), $"tinylm-size-{Environment.ProcessId}.tlm");
        SizeSearchResult result;
        try
        {
            result = ClassifierSizeSearch.Search(model, training.Examples, new SizeSearchOptions { MaxBytes = settings.MaxBytes }, candidate =>
            {
                candidate.SaveDeflated(probe);
                return new FileInfo(probe).Length;
            }, line => Console.Error.WriteLine(line));
        }
        finally
        {
            if (File.Exists(probe)) File.Delete(probe);
        }
        PrintCandidates(result, settings.MaxBytes);
        var chosen = result.Quantized.Model;
        SmallerOutput.Save("quantize", input, output, chosen.SaveDeflated, "the budget is at least the input's size");

        var (before, after) = ClassifierMeasurement.MeasurePair(model, input, chosen, output, eval);
        ComparisonTables.Print(before, after, "float32", "quantized");
        if (settings.Json)
            JsonLine.Print(new QuantizeOutput("classifier", QuantizationType.Int8.ToName(), output, Threading.MaxThreads, MeasurementOutput.From(before), MeasurementOutput.From(after), null,
                [.. result.Quantized.Layers.Select(l => new QuantizedLayerOutput(l.Name, l.Format, Math.Round(l.Error, 6), double.IsNaN(l.Agreement) ? null : l.Agreement, l.Reason))],
                [.. result.Candidates.Select(c => new SizeCandidateOutput(c.Features, c.Table, c.Bytes, c.HeldOutAccuracy, c.Chosen))]),
                CliJson.Default.QuantizeOutput);
        SmallerOutput.Wrote(output);
        return ExitCodes.Ok;
    }

    private static void PrintCandidates(SizeSearchResult result, long maxBytes)
    {
        var table = new Table().Title($"Candidates for --max-bytes {maxBytes:N0} (held-out slice of the training data; float32 with all {result.AllFeatures:N0} features: {100 * result.HeldOutFloatAccuracy:F2} %)");
        table.AddColumns("features", "SVM table", "file bytes", "held-out accuracy", "");
        foreach (var c in result.Candidates)
            table.AddRow($"{c.Features:N0}", c.Table, $"{c.Bytes:N0}", c.HeldOutAccuracy is { } a ? $"{100 * a:F2} %" : "-",
                c.Chosen ? "[bold]chosen[/]" : c.Bytes > maxBytes ? "over budget" : "");
        AnsiConsole.Write(table);
    }
}
