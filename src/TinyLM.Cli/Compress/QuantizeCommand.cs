using System.CommandLine;
using Spectre.Console;
using TinyLM.Cli.Common;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;

namespace TinyLM.Cli.Compress;

/// <summary>
/// <c>tinylm quantize MODEL --out MODEL [--type int8|q8_0|q4_0|q4_k] [--calibrate FILE] [--svm-scales class|row] [--eval FILE] [--json]</c>
/// or <c>tinylm quantize MODEL --out MODEL --max-bytes N --data TRAIN [--eval FILE]</c> (<see cref="QuantizeToBudget"/>):
/// post-training quantization of a classifier with a per-layer report and a before/after comparison
/// (size, parameters, accuracy, batch-1 latency, batch-64 throughput) measured in the same run.
/// </summary>
public static class QuantizeCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A float32 .tlm classifier (never modified)" };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<string> TypeOption = new("--type") { Description = "int8 (per-row int8), q8_0, q4_0 or q4_k (llama.cpp blocks; q4_k: language models only)", DefaultValueFactory = _ => "int8" };
    private static readonly Option<string?> CalibrateOption = new("--calibrate") { Description = "Sample texts (TSV dataset or one per line) to measure each layer's error on" };
    private static readonly Option<double?> MaxErrorOption = new("--max-error") { Description = "A layer whose error exceeds this stays float32 (default 0.05 logit error calibrated, 0.15 weight error otherwise)" };
    private static readonly Option<string?> EvalOption = new("--eval") { Description = "Data to compare before/after on: a file or a dataset name (classifier: its test.tsv; language model: raw text, all of it)" };
    private static readonly Option<string?> CausalLMDataOption = new("--data") { Description = "Language model: its training text (file or dataset name); before/after are compared on its validation split (the last 10%). Classifier with --max-bytes: its training data (TSV or dataset name: train.tsv), refitted on and held out from" };
    private static readonly Option<long?> MaxBytesOption = new("--max-bytes") { Description = "Classifier with a tf-idf SVM head: the most accurate SVM-alone file of at most this many bytes (vocabulary pruned and refitted × int8/4-bit SVM table, judged on a held-out slice of --data); prints every candidate" };
    private static readonly Option<bool> EmbeddingsOption = new("--quantize-embeddings") { Description = "Language model: also quantize an untied token embedding table" };
    private static readonly Option<string> SvmScalesOption = new("--svm-scales") { Description = "Classifier with a linear SVM head: its int8 weight takes one scale per class (default, smaller file) or per row (closer to float32)", DefaultValueFactory = _ => "class" };

    public static Command Create()
    {
        var command = new Command("quantize", "Quantize a classifier (int8 / q8_0 / q4_0) or a language model (q8_0 / q4_0 / q4_k) and report what it costs and saves.");
        command.Arguments.Add(ModelArgument);
        command.AddOptions([OutOption, TypeOption, CalibrateOption, MaxErrorOption, EvalOption, CausalLMDataOption, MaxBytesOption, EmbeddingsOption, SvmScalesOption,
            SharedOptions.DataDir, SharedOptions.SkipBad, SharedOptions.Threads, SharedOptions.Json]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string input = parse.GetValue(ModelArgument)!, output = parse.GetValue(OutOption)!;
        if (!QuantizationTypeExtensions.TryParse(parse.GetValue(TypeOption), out var type))
            throw new CliError($"--type must be int8, q8_0, q4_0 or q4_k, got '{parse.GetValue(TypeOption)}'.", ExitCodes.Usage);
        OutputFile.Check(output, "--out", ("input model", input), ("evaluation data", parse.GetValue(EvalOption)), ("evaluation text", parse.GetValue(CausalLMDataOption)),
            ("calibration file", parse.GetValue(CalibrateOption)));
        string svmScales = parse.GetValue(SvmScalesOption)!;
        if (svmScales is not ("row" or "class")) throw new CliError($"--svm-scales must be class or row, got '{svmScales}'.", ExitCodes.Usage);
        double? maxError = parse.GetValue(MaxErrorOption);
        if (maxError is < 0 or double.NaN) throw new CliError($"--max-error must be ≥ 0, got {maxError}.", ExitCodes.Usage);

        var contents = ModelFile.Load(input);
        if (contents.Kind == ModelKind.CausalLM && parse.GetValue(CalibrateOption) is { } calibrate)
            throw new CliError($"--calibrate {calibrate}: language models are judged by weight error (--max-error); calibration texts apply to classifiers.", ExitCodes.Usage);
        if (contents.Kind == ModelKind.CausalLM && parse.GetValue(MaxBytesOption) is { } budget)
            throw new CliError($"--max-bytes {budget}: {input} is a language model; the byte-budget search is for SVM-alone classifiers (use --type q4_0/q4_k).", ExitCodes.Usage);
        if (contents.Kind == ModelKind.CausalLM && parse.GetValue(SharedOptions.SkipBad))
            throw new CliError("--skip-bad applies to labelled data (classifiers); a language model's evaluation text has no lines to skip.", ExitCodes.Usage);
        if (contents.Kind == ModelKind.CausalLM)
            return QuantizeCausalLM.Run(CausalLMFile.FromContents(contents, input), input, output, type, new QuantizeCausalLM.Settings(
                maxError, parse.GetValue(EvalOption), parse.GetValue(CausalLMDataOption), parse.GetValue(SharedOptions.DataDir),
                parse.GetValue(EmbeddingsOption), parse.GetValue(SharedOptions.Json)));
        if (type == QuantizationType.Q4_K)
            throw new CliError($"--type q4_k: {input} is a classifier; q4_k (256-value super-blocks) is for language models. Use int8, q8_0 or q4_0.", ExitCodes.Usage);
        var model = TextClassifierFile.FromContents(contents, input);
        if (parse.GetValue(MaxBytesOption) is { } maxBytes)
        {
            if (maxBytes <= 0) throw new CliError($"--max-bytes must be > 0, got {maxBytes}.", ExitCodes.Usage);
            foreach (var (option, given) in new (string, bool)[] { ("--type", type != QuantizationType.Int8), ("--calibrate", parse.GetValue(CalibrateOption) is not null),
                ("--max-error", maxError is not null), ("--svm-scales", parse.GetResult(SvmScalesOption) is { Implicit: false }) })
                if (given) throw new CliError($"--max-bytes chooses the SVM table's precision and scales itself (judged on held-out data); {option} does not apply.", ExitCodes.Usage);
            return QuantizeToBudget.Run(model, input, output, new QuantizeToBudget.Settings(maxBytes, parse.GetValue(CausalLMDataOption), parse.GetValue(EvalOption),
                parse.GetValue(SharedOptions.DataDir), parse.GetValue(SharedOptions.SkipBad), parse.GetValue(SharedOptions.Json)));
        }
        var calibration = parse.GetValue(CalibrateOption) is { } calibrateFile ? InputData.ReadTexts(calibrateFile, "calibration") : null;
        string? evalArgument = parse.GetValue(EvalOption);
        var eval = evalArgument is null ? null
            : InputData.ReadLabelled(evalArgument, "test.tsv", parse.GetValue(SharedOptions.DataDir), parse.GetValue(SharedOptions.SkipBad));
        InputData.CheckLabels(model, eval); // before the output is written: a failed command leaves no file

        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions { Type = type, MaxLayerError = maxError, CalibrationTexts = calibration, SvmScalePerClass = svmScales == "class" });
        SmallerOutput.Save("quantize", input, output, result.Model.Save,
            "its layers stayed float32 (see the table's notes) or the model is too small for the scales to pay off");

        var (before, after) = ClassifierMeasurement.MeasurePair(model, input, result.Model, output, eval);
        PrintLayers(result);
        ComparisonTables.Print(before, after, "float32", "quantized");
        if (parse.GetValue(SharedOptions.Json))
            JsonLine.Print(new QuantizeOutput("classifier", type.ToName(), output, Threading.MaxThreads, MeasurementOutput.From(before), MeasurementOutput.From(after), null,
                [.. result.Layers.Select(l => new QuantizedLayerOutput(l.Name, l.Format, Math.Round(l.Error, 6), double.IsNaN(l.Agreement) ? null : l.Agreement, l.Reason))]),
                CliJson.Default.QuantizeOutput);
        SmallerOutput.Wrote(output);
        return ExitCodes.Ok;
    }

    private static void PrintLayers(QuantizationResult result)
    {
        var table = new Table().Title(result.Calibrated ? "Layers (error = relative logit error on calibration texts)" : "Layers (error = relative weight error)");
        table.AddColumns("layer", "shape", "stored as", "error", "top-1 kept", "note");
        foreach (var layer in result.Layers)
            table.AddRow(Markup.Escape(layer.Name), string.Join("×", layer.Shape), layer.Format, $"{layer.Error:F4}",
                double.IsNaN(layer.Agreement) ? "-" : $"{100 * layer.Agreement:F2} %", Markup.Escape(layer.Reason));
        if (result.Calibrated)
            table.AddRow("[bold]whole model[/]", "", "", $"{result.ModelError:F4}", $"{100 * result.ModelAgreement:F2} %", "");
        AnsiConsole.Write(table);
    }
}
