using Spectre.Console;
using TinyLM.Cli.Common;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Cli.Compress;

/// <summary>
/// The language-model branch of <c>tinylm quantize</c>: Q8_0/Q4_0/Q4_K blocks for the attention, MLP and output
/// matrices, a per-matrix report and a before/after comparison (size, validation loss, decode latency, 64-row
/// scoring throughput) measured in the same run on the same token windows.
/// </summary>
internal static class QuantizeCausalLM
{
    public sealed record Settings(double? MaxError, string? Eval, string? Data, string? DataDir, bool Embeddings, bool Json);

    public static int Run(TokenizedCausalLM lm, string input, string output, QuantizationType type, Settings settings)
    {
        if (type.Block() is null)
            throw new CliError($"--type {type.ToName()}: language models are quantized to q8_0, q4_0 or q4_k (llama.cpp blocks).", ExitCodes.Usage);
        if (settings.Eval is not null && settings.Data is not null)
            throw new CliError("give --eval (score all of a text) or --data (score the validation split of the training text), not both.", ExitCodes.Usage);
        if (lm.Model.HasQuantizedWeights)
            throw new CliError($"{input}: the model is already quantized; quantize its float32 original instead.");
        var evalIds = EvalTokens(lm, settings);

        var result = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions
        {
            Type = type, QuantizeEmbeddings = settings.Embeddings, MaxLayerError = settings.MaxError ?? 0.15,
        });
        SmallerOutput.Save("quantize", input, output, result.Model.Save,
            "its matrices stayed float32 (see the table's notes) or the model is too small for the scales to pay off");

        var before = CausalLMMeasurement.Measure(lm, input, evalIds);
        var after = CausalLMMeasurement.Measure(result.Model, output, evalIds);
        PrintLayers(result.Layers);
        ComparisonTables.Print(before, after);
        if (settings.Json)
            JsonLine.Print(new QuantizeOutput("causal_lm", type.ToName(), output, Kernels.Threading.MaxThreads, MeasurementOutput.From(before), MeasurementOutput.From(after),
                Math.Round(after.DecodeTokensPerSecond / before.DecodeTokensPerSecond, 4),
                [.. result.Layers.Select(l => new QuantizedLayerOutput(l.Name, l.Format, double.IsNaN(l.Error) ? null : Math.Round(l.Error, 6), null, l.Reason))]),
                CliJson.Default.QuantizeOutput);
        SmallerOutput.Wrote(output);
        return ExitCodes.Ok;
    }

    private static int[]? EvalTokens(TokenizedCausalLM lm, Settings settings)
    {
        string? argument = settings.Eval ?? settings.Data;
        if (argument is null) return null;
        string path = DatasetArgument.Resolve(argument, "input.txt", settings.DataDir);
        string text = TextFile.ReadAllText(path);
        if (text.Length == 0) throw new CliError($"{path}: the evaluation text is empty.");
        int[] ids = CliError.Check(() => lm.Tokenizer.Encode(text), ExitCodes.BadInput, $"{path}: cannot be tokenized with the model's tokenizer: ");
        // --data: the trainer's split (the last 10% of the tokens is validation).
        if (settings.Data is not null) ids = ids[(int)(ids.Length * 0.9)..];
        if (ids.Length < 2) throw new CliError($"{path}: the evaluation text holds fewer than 2 tokens.");
        return ids;
    }

    private static void PrintLayers(IReadOnlyList<LayerReport> layers)
    {
        var table = new Table().Title("Matrices (error = relative weight error ‖W_q − W‖ / ‖W‖)");
        table.AddColumns("matrix", "shape", "stored as", "error", "note");
        foreach (var layer in layers)
            table.AddRow(Markup.Escape(layer.Name), string.Join("×", layer.Shape), layer.Format,
                double.IsNaN(layer.Error) ? "-" : $"{layer.Error:F4}", Markup.Escape(layer.Reason));
        AnsiConsole.Write(table);
    }
}
