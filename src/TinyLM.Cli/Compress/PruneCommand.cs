using System.CommandLine;
using Spectre.Console;
using TinyLM.Cli.Common;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Text;

namespace TinyLM.Cli.Compress;

/// <summary>
/// <c>tinylm prune MODEL --out MODEL --sparsity X [--structured heads|neurons|vocab] [--finetune-data FILE --epochs N]
/// [--eval FILE] [--json]</c>: magnitude pruning on a gradual schedule while fine-tuning (saved sparsely), or structured
/// pruning to a smaller dense model, with the same before/after report as <c>quantize</c>.
/// </summary>
public static class PruneCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A float32 .tlm classifier (never modified)" };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<double> SparsityOption = new("--sparsity") { Description = "Share of weights (or units, with --structured) to remove, in (0, 1)", Required = true };
    private static readonly Option<string?> StructuredOption = new("--structured") { Description = "Remove whole units: neurons (hidden units, embedding width), heads (attention heads) or vocab (rare words)" };
    private static readonly Option<string?> FineTuneOption = new("--finetune-data") { Description = "Labelled training data to fine-tune on: a file or a dataset name (its train.tsv)" };
    private static readonly Option<int?> EpochsOption = new("--epochs") { Description = "Fine-tuning epochs (default 3; needs --finetune-data)" };
    private static readonly Option<float?> LearningRateOption = new("--lr") { Description = "Fine-tuning learning rate (default: the encoder's recipe)" };
    private static readonly Option<string?> EvalOption = new("--eval") { Description = "Labelled data to compare before/after on: a file or a dataset name (its test.tsv)" };

    public static Command Create()
    {
        var command = new Command("prune", "Prune a classifier (magnitude or structured), fine-tune it, and report what it costs and saves.");
        command.Arguments.Add(ModelArgument);
        command.AddOptions([OutOption, SparsityOption, StructuredOption, FineTuneOption, EpochsOption, LearningRateOption, EvalOption,
            SharedOptions.DataDir, SharedOptions.SkipBad, SharedOptions.Threads, SharedOptions.Json]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string input = parse.GetValue(ModelArgument)!, output = parse.GetValue(OutOption)!;
        double sparsity = parse.GetValue(SparsityOption);
        if (!(sparsity > 0 && sparsity < 1))
            throw new CliError($"--sparsity must be strictly between 0 and 1, got {sparsity}.", ExitCodes.Usage);
        StructuredPruning? structured = parse.GetValue(StructuredOption) is { } kindText ? ParseKind(kindText) : null;
        int? epochs = parse.GetValue(EpochsOption);
        string? fineTuneArgument = parse.GetValue(FineTuneOption);
        if (epochs is not null && fineTuneArgument is null)
            throw new CliError("--epochs needs --finetune-data (the labelled data to fine-tune on).", ExitCodes.Usage);
        if (epochs is < 1) throw new CliError($"--epochs must be ≥ 1, got {epochs}.", ExitCodes.Usage);
        if (parse.GetValue(LearningRateOption) is { } lr && !(lr > 0))
            throw new CliError($"--lr must be > 0, got {lr}.", ExitCodes.Usage);
        OutputFile.Check(output, "--out", ("input model", input), ("fine-tuning data", fineTuneArgument), ("evaluation data", parse.GetValue(EvalOption)));

        var model = TextClassifierFile.Load(input);
        if (model.Quantization is not null)
            throw new CliError($"{input} is quantized ({model.Quantization}); prune its float32 original, then quantize.");
        if (structured is { } kind && StructuredPruner.NotApplicable(model.Config, kind) is { } reason)
            throw new CliError($"{input}: {reason}.", ExitCodes.Usage);
        string? dataDir = parse.GetValue(SharedOptions.DataDir);
        bool skipBad = parse.GetValue(SharedOptions.SkipBad);
        var fineTune = fineTuneArgument is null ? null : ReadLabelled(fineTuneArgument, "train.tsv", dataDir, "--finetune-data", skipBad);
        var eval = parse.GetValue(EvalOption) is { } evalArgument ? ReadLabelled(evalArgument, "test.tsv", dataDir, "--eval", skipBad) : null;
        InputData.CheckLabels(model, eval);

        var options = new PruningOptions
        {
            Sparsity = sparsity, Structured = structured, FineTuneData = fineTune, Epochs = epochs ?? 3,
            LearningRate = parse.GetValue(LearningRateOption),
        };
        var result = fineTune is null
            ? ClassifierPruner.Prune(model, options)
            : TrainingView.Run($"fine-tuning the pruned model on {Path.GetFileName(fineTune.Source)}",
                progress => ClassifierPruner.Prune(model, options with { Progress = progress }));
        bool changed = result.Layers.Any(l => l.Sparsity > 0 || !l.Before.SequenceEqual(l.After));
        SmallerOutput.Save("prune", input, output, result.Model.Save, changed
            ? "the zeros it made do not save space in this model's file (use a higher --sparsity, or --structured)"
            : structured is { } k0
                ? $"there was nothing to remove with --structured {k0.ToString().ToLowerInvariant()} (the model's weights are elsewhere, e.g. in an SVM or naive Bayes mixture with no neurons or heads)"
                : "no weight could be pruned");

        var (before, after) = ClassifierMeasurement.MeasurePair(model, input, result.Model, output, eval);
        // A sparse file stores only the non-zeros; a structured model is dense, so all its parameters count.
        if (structured is null) after = after with { Parameters = result.NonZeroParameters };
        PrintLayers(result);
        ComparisonTables.Print(before, after, "original", "pruned");
        if (parse.GetValue(SharedOptions.Json))
            JsonLine.Print(new PruneOutput(structured is { } k ? k.ToString().ToLowerInvariant() : "unstructured", sparsity, output,
                MeasurementOutput.From(before), MeasurementOutput.From(after),
                [.. result.Layers.Select(l => new PrunedLayerOutput(l.Name, string.Join("x", l.Before), string.Join("x", l.After), Math.Round(l.Sparsity, 6)))]),
                CliJson.Default.PruneOutput);
        SmallerOutput.Wrote(output);
        return ExitCodes.Ok;
    }

    private static StructuredPruning ParseKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "neurons" => StructuredPruning.Neurons,
        "heads" => StructuredPruning.Heads,
        "vocab" => StructuredPruning.Vocab,
        _ => throw new CliError($"--structured must be neurons, heads or vocab, got '{text}'.", ExitCodes.Usage),
    };

    private static TextDataset ReadLabelled(string argument, string defaultFile, string? dataDir, string option, bool skipBad)
    {
        var data = InputData.ReadLabelled(argument, defaultFile, dataDir, skipBad);
        if (data.Count == 0) throw new CliError($"{option} {argument}: the file holds no labelled examples.");
        return data;
    }

    private static void PrintLayers(PruningResult result)
    {
        var table = new Table().Title("Pruned parameters");
        table.AddColumns("parameter", "before", "after", "zeros");
        foreach (var layer in result.Layers)
            table.AddRow(Markup.Escape(layer.Name), string.Join("×", layer.Before), string.Join("×", layer.After), $"{100 * layer.Sparsity:F1} %");
        AnsiConsole.Write(table);
    }
}
