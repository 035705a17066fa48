using System.CommandLine;
using System.Globalization;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Models;

namespace TinyLM.Cli.Export;

/// <summary><c>tinylm export FORMAT</c>: hand a model to another runtime.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var export = new Command("export", "Export a model for another runtime: gguf (llama.cpp), onnx (ONNX Runtime).");
        export.Subcommands.Add(CreateGguf());
        export.Subcommands.Add(ExportOnnx.Create());
        return export;
    }

    private static Command CreateGguf()
    {
        var model = new Argument<string>("MODEL") { Description = "Language model: a .tlm, a llama2.c .bin (with --tokenizer) or a GGUF." };
        var output = SharedOptions.Out();
        var type = new Option<string?>("--type") { Description = "Storage type of the weight matrices: f32, f16, q8_0, q4_0 or q4_k (norms stay f32; q4_k quantizes as `tinylm quantize` does, matrices whose rows are not a multiple of 256 in q8_0). Default: f32, or for a quantized .tlm its own blocks, written as they are (other tensors f32)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "llama2.c tokenizer.bin for a llama2.c checkpoint." };
        var gguf = new Command("gguf", "Write a llama-architecture model (RMSNorm, RoPE, SwiGLU, no biases) as GGUF for llama.cpp.");
        gguf.Arguments.Add(model);
        gguf.AddOptions([output, type, tokenizer, SharedOptions.Threads, SharedOptions.Json]);
        gguf.SetRunner(p => RunGguf(p.GetValue(model)!, p.GetValue(output)!, p.GetValue(type), p.GetValue(tokenizer), p.GetValue(SharedOptions.Json)));
        return gguf;
    }

    private static int RunGguf(string modelPath, string outPath, string? requested, string? tokenizerPath, bool json)
    {
        GgmlType? asked = requested?.ToLowerInvariant() switch
        {
            null => null,
            "f32" => GgmlType.F32,
            "f16" => GgmlType.F16,
            "q8_0" or "q8" => GgmlType.Q8_0,
            "q4_0" => GgmlType.Q4_0,
            "q4_k" => GgmlType.Q4_K,
            _ => throw new CliError($"export gguf: --type must be f32, f16, q8_0, q4_0 or q4_k, got \"{requested}\".", ExitCodes.Usage),
        };
        OutputFile.Check(outPath, "--out", ("input model", modelPath), ("tokenizer", tokenizerPath));
        TokenizedCausalLM lm = CausalLMLoader.Load(modelPath, tokenizerPath);
        GgmlType type = asked ?? GgmlType.F32;
        if (lm.Model.HasQuantizedWeights)
        {
            // A quantized model's blocks go out verbatim; asking for another format would quantize twice.
            var own = Compression.CausalLMQuantizer.TypeOf(lm.Model) switch
            {
                Compression.QuantizationType.Q4_0 => GgmlType.Q4_0,
                Compression.QuantizationType.Q4_K => GgmlType.Q4_K,
                _ => GgmlType.Q8_0,
            };
            if (asked is { } a && a != own)
                throw new CliError($"export gguf: {modelPath} is quantized to {own.ToString().ToLowerInvariant()}; --type {requested} would quantize it twice. Export its float32 original instead, or leave --type out.", ExitCodes.Usage);
            type = own;
        }
        else if (type == GgmlType.Q4_K)
        {
            // Per-matrix formats (q4_k or its fallback) come from the quantizer; the blocks then go out verbatim.
            lm = Compression.CausalLMQuantizer.Quantize(lm, new Compression.CausalLMQuantizationOptions
            {
                Type = Compression.QuantizationType.Q4_K, MaxLayerError = double.PositiveInfinity,
            }).Model;
        }
        string typeName = type.ToString();
        LlamaModelFiles.ExportGguf(lm, outPath, type);
        long bytes = new FileInfo(outPath).Length;
        int tensors = GgufFile.Read(outPath).Tensors.Count;
        long parameters = lm.Model.Parameters().Sum(p => (long)p.Length);
        if (json)
            JsonLine.Print(new ExportOutput(outPath, typeName.ToLowerInvariant(), bytes, tensors, parameters), CliJson.Default.ExportOutput);
        else
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "wrote {0}: {1} tensors, {2:N0} parameters, {3:F1} MB ({4})",
                outPath, tensors, parameters, bytes / 1e6, typeName.ToLowerInvariant()));
        return ExitCodes.Ok;
    }
}
