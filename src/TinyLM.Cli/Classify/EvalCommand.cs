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

    public static Command Create()
    {
        var command = new Command("eval", "Evaluate a classifier on labelled data (scikit-learn style report).");
        command.Arguments.Add(ModelArgument);
        command.Arguments.Add(DataArgument);
        command.AddOptions([SharedOptions.Json, SharedOptions.SkipBad, SharedOptions.DataDir, SharedOptions.Threads]);
        command.SetRunner(parse =>
        {
            if (Image.ImageEval.IsImageModel(parse.GetValue(ModelArgument)!)) return Image.ImageEval.Run(parse.GetValue(ModelArgument)!, parse.GetValue(DataArgument)!, parse.GetValue(SharedOptions.DataDir), parse.GetValue(SharedOptions.Json));
            var model = TextClassifierFile.Load(parse.GetValue(ModelArgument)!);
            var data = InputData.ReadLabelled(parse.GetValue(DataArgument)!, "test.tsv", parse.GetValue(SharedOptions.DataDir), parse.GetValue(SharedOptions.SkipBad));
            var report = model.Evaluate(data);
            // The report's own JSON (the library's ClassificationReport writer, no reflection): the eval schema in docs/cli.md.
            if (parse.GetValue(SharedOptions.Json)) Console.Out.WriteLine(report.ToJson());
            else Console.Out.Write(report.ToText());
            return ExitCodes.Ok;
        });
        return command;
    }
}
