using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Training;

namespace TinyLM.Cli.Classify;

/// <summary><c>tinylm eval MODEL FILE</c>: accuracy, per-class P/R/F1, averages, confusion matrix.</summary>
public static class EvalCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A .tlm classifier" };
    private static readonly Argument<string> DataArgument = new("FILE") { Description = "Labelled data: a file or a dataset name (its test.tsv)" };
    private static readonly Option<string?> ReportOption = new("--report") { Description = "Also write a self-contained HTML report (charts, confusion heat map, worst texts with their token attributions) to this file" };

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate a classifier on labelled data (scikit-learn style report).");
        command.Arguments.Add(ModelArgument);
        command.Arguments.Add(DataArgument);
        command.Options.Add(ReportOption);
        command.AddOptions([SharedOptions.Json, SharedOptions.SkipBad, SharedOptions.DataDir, SharedOptions.Threads]);
        command.SetRunner(parse =>
        {
            if (Image.ImageEval.IsImageModel(parse.GetValue(ModelArgument)!)) return Image.ImageEval.Run(parse.GetValue(ModelArgument)!, parse.GetValue(DataArgument)!, parse.GetValue(SharedOptions.DataDir), parse.GetValue(SharedOptions.Json));
            string modelPath = parse.GetValue(ModelArgument)!, dataPath = parse.GetValue(DataArgument)!;
            string? reportPath = parse.GetValue(ReportOption);
            // Checked before any work: never over an input, never into a missing folder.
            if (reportPath is not null) OutputFile.Check(reportPath, "--report", ("model", modelPath), ("data", dataPath));
            var model = TextClassifierFile.Load(modelPath);
            var data = InputData.ReadLabelled(dataPath, "test.tsv", parse.GetValue(SharedOptions.DataDir), parse.GetValue(SharedOptions.SkipBad));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var report = model.Evaluate(data);
            if (reportPath is not null)
            {
                AtomicFile.WriteAllText(reportPath, Insight.EvalReport.Build(model, modelPath, data, report, clock.Elapsed.TotalSeconds));
                Console.Error.WriteLine($"wrote {reportPath}");
            }
            // The report's own JSON (the library's ClassificationReport writer, no reflection): the eval schema in docs/cli.md.
            if (parse.GetValue(SharedOptions.Json)) Console.Out.WriteLine(report.ToJson());
            else Console.Out.Write(report.ToText());
            return ExitCodes.Ok;
        });
        return command;
    }
}
