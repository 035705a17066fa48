using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Classify;

/// <summary><c>tinylm eval MODEL FILE</c>: accuracy, per-class P/R/F1, averages, confusion matrix.</summary>
public static class EvalCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A .tlm classifier" };
    private static readonly Argument<string> DataArgument = new("FILE") { Description = "Labelled data: a file or a dataset name (its test.tsv)" };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print the report as one JSON object" };
    private static readonly Option<bool> SkipBadOption = new("--skip-bad") { Description = "Skip and count bad input lines instead of failing" };
    private static readonly Option<string?> DataDirOption = new("--data-dir") { Description = "Where named datasets live" };

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate a classifier on labelled data (scikit-learn style report).");
        command.Arguments.Add(ModelArgument);
        command.Arguments.Add(DataArgument);
        command.Options.Add(JsonOption);
        command.Options.Add(SkipBadOption);
        command.Options.Add(DataDirOption);
        command.SetRunner(parse =>
        {
            var model = TextClassifierFile.Load(parse.GetValue(ModelArgument)!);
            var data = TextDatasetReader.Read(DatasetArgument.Resolve(parse.GetValue(DataArgument)!, "test.tsv", parse.GetValue(DataDirOption)),
                skipBad: parse.GetValue(SkipBadOption));
            if (data.SkippedLines > 0) Console.Error.WriteLine($"{data.Source}: skipped {data.SkippedLines} bad lines");
            var report = model.Evaluate(data);
            if (parse.GetValue(JsonOption)) Console.Out.WriteLine(report.ToJson());
            else Console.Out.Write(report.ToText());
            return ExitCodes.Ok;
        });
        return command;
    }
}
