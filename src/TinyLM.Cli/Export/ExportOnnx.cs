using System.CommandLine;
using System.Globalization;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.IO.Onnx;
using TinyLM.Models;

namespace TinyLM.Cli.Export;

/// <summary>
/// <c>tinylm export onnx MODEL --out FILE [--opset N] [--tokenizer FILE]</c>: a text classifier, a causal LM (a .tlm,
/// a llama2.c .bin with its tokenizer, or a GGUF) or a Transformer seq2seq model (two files) as ONNX for ONNX Runtime.
/// </summary>
public static class ExportOnnx
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL")
        {
            Description = "A text classifier .tlm (any encoder, with its naive Bayes/SVM heads), a Transformer seq2seq .tlm, or a language model: a .tlm, a llama2.c .bin (with --tokenizer) or a GGUF.",
        };
        var output = SharedOptions.Out();
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset to write, {OnnxExport.MinOpset}–{OnnxExport.MaxOpset} (default {OnnxExport.DefaultOpset}).",
            DefaultValueFactory = _ => OnnxExport.DefaultOpset,
        };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "llama2.c tokenizer.bin for a llama2.c checkpoint." };
        var onnx = new Command("onnx", "Write a model as ONNX. Text classifier: input_ids (batch, sequence) int64 padded with 0 and lengths (batch) "
            + "int64 in; logits and probabilities (batch, classes) out. Causal LM: input_ids and past_key_values.N.key/value in; logits and "
            + "present.N.key/value out. Seq2seq: FILE's .encoder.onnx and .decoder.onnx. Tokenizer and config in metadata_props.");
        onnx.Arguments.Add(model);
        onnx.AddOptions([output, opset, tokenizer, SharedOptions.Threads, SharedOptions.Json]);
        onnx.SetRunner(p => Run(p.GetValue(model)!, p.GetValue(output)!, p.GetValue(opset), p.GetValue(tokenizer), p.GetValue(SharedOptions.Json)));
        return onnx;
    }

    private static int Run(string modelPath, string outPath, int opset, string? tokenizerPath, bool json)
    {
        if (opset is < OnnxExport.MinOpset or > OnnxExport.MaxOpset)
            throw new CliError($"export onnx: --opset must be {OnnxExport.MinOpset}–{OnnxExport.MaxOpset}, got {opset}.", ExitCodes.Usage);
        // Unlike a training run's outputs, an export target in a folder that does not exist is most likely a typo.
        string? folder = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (folder is not null && !Directory.Exists(folder))
            throw new CliError($"export onnx: the folder of --out {outPath} does not exist.", ExitCodes.Usage);
        OutputFile.Check(outPath, "--out", ("input model", modelPath), ("tokenizer", tokenizerPath));
        foreach (string part in Seq2SeqPaths(outPath))
            OutputFile.Check(part, "--out (seq2seq part)", ("input model", modelPath), ("tokenizer", tokenizerPath));
        var (results, kind, parameters, labels) = Export(modelPath, tokenizerPath, outPath, opset);
        foreach (var result in results)
        {
            if (json)
                JsonLine.Print(new ExportOnnxOutput(result.Path, kind, result.Opset, result.Bytes, result.Nodes, result.Initializers, parameters,
                    [.. result.Inputs], [.. result.Outputs], labels), CliJson.Default.ExportOnnxOutput);
            else
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "wrote {0} ({1}): opset {2}, {3} nodes, {4:N0} parameters, {5:F1} MB; inputs {6}; outputs {7}",
                    result.Path, kind, result.Opset, result.Nodes, parameters, result.Bytes / 1e6, string.Join(", ", result.Inputs), string.Join(", ", result.Outputs)));
        }
        return ExitCodes.Ok;
    }

    // A seq2seq model is two graphs: --out m.onnx writes m.encoder.onnx and m.decoder.onnx.
    private static string[] Seq2SeqPaths(string outPath)
    {
        string stem = outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? outPath[..^5] : outPath;
        return [stem + ".encoder.onnx", stem + ".decoder.onnx"];
    }

    // Loads the model by kind and writes it; an exporter's refusal becomes a bad-input error (nothing is written).
    private static (OnnxExportResult[] Results, string Kind, long Parameters, string[] Labels) Export(string modelPath, string? tokenizerPath, string outPath, int opset)
    {
        try
        {
            if (tokenizerPath is not null || LlamaModelFiles.IsGguf(modelPath) || modelPath.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
                return CausalLM(CausalLMLoader.Load(modelPath, tokenizerPath), outPath, opset);
            var contents = ModelFile.Load(modelPath);
            switch (contents.Kind)
            {
                case ModelKind.Classifier:
                    var classifier = TextClassifierFile.FromContents(contents, modelPath);
                    return ([OnnxExport.Classifier(classifier, outPath, opset)], ModelKind.Classifier.ToFileName(),
                        classifier.Parameters().Sum(p => (long)p.Length), [.. classifier.Labels.Labels]);
                case ModelKind.CausalLM:
                    return CausalLM(CausalLMFile.FromContents(contents, modelPath), outPath, opset);
                case ModelKind.Seq2Seq:
                    var seq2seq = Seq2SeqFile.FromContents(contents, modelPath);
                    string[] parts = Seq2SeqPaths(outPath);
                    var (encoder, decoder) = OnnxExport.Seq2Seq(seq2seq, parts[0], parts[1], opset);
                    return ([encoder, decoder], ModelKind.Seq2Seq.ToFileName(), seq2seq.Parameters().Sum(p => (long)p.Length), []);
                default:
                    throw new CliError($"export onnx: {modelPath} is a {contents.Kind.ToFileName()} model; ONNX export takes text classifiers, "
                        + "causal language models and Transformer seq2seq models.", ExitCodes.BadInput);
            }
        }
        catch (OnnxExportException e)
        {
            throw new CliError($"export onnx: {modelPath}: {e.Message}", ExitCodes.BadInput);
        }
    }

    private static (OnnxExportResult[], string, long, string[]) CausalLM(TokenizedCausalLM lm, string outPath, int opset) =>
        ([OnnxExport.CausalLM(lm, outPath, opset)], ModelKind.CausalLM.ToFileName(), lm.Model.Parameters().Sum(p => (long)p.Length), []);
}
