using System.CommandLine;
using System.Globalization;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.IO.Onnx;

namespace TinyLM.Cli.Export;

/// <summary><c>tinylm export onnx MODEL --out FILE [--opset N]</c>: a text classifier as an ONNX graph for ONNX Runtime.</summary>
public static class ExportOnnx
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A text classifier .tlm (any encoder, with its naive Bayes/SVM heads)." };
        var output = SharedOptions.Out();
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset to write, {OnnxExport.MinOpset}–{OnnxExport.MaxOpset} (default {OnnxExport.DefaultOpset}).",
            DefaultValueFactory = _ => OnnxExport.DefaultOpset,
        };
        var onnx = new Command("onnx", "Write a text classifier as ONNX: input_ids (batch, sequence) int64 padded with 0 and lengths (batch) int64 in; "
            + "logits and probabilities (batch, classes) out; tokenizer, labels and config in metadata_props.");
        onnx.Arguments.Add(model);
        onnx.AddOptions([output, opset, SharedOptions.Threads, SharedOptions.Json]);
        onnx.SetRunner(p => Run(p.GetValue(model)!, p.GetValue(output)!, p.GetValue(opset), p.GetValue(SharedOptions.Json)));
        return onnx;
    }

    private static int Run(string modelPath, string outPath, int opset, bool json)
    {
        if (opset is < OnnxExport.MinOpset or > OnnxExport.MaxOpset)
            throw new CliError($"export onnx: --opset must be {OnnxExport.MinOpset}–{OnnxExport.MaxOpset}, got {opset}.", ExitCodes.Usage);
        // Unlike a training run's outputs, an export target in a folder that does not exist is most likely a typo.
        string? folder = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (folder is not null && !Directory.Exists(folder))
            throw new CliError($"export onnx: the folder of --out {outPath} does not exist.", ExitCodes.Usage);
        OutputFile.Check(outPath, "--out", ("input model", modelPath));
        var contents = ModelFile.Load(modelPath);
        if (contents.Kind != ModelKind.Classifier)
            throw new CliError($"export onnx: {modelPath} is a {contents.Kind.ToFileName()} model; this version exports text classifiers only "
                + "(causal LM and seq2seq export are not written yet).", ExitCodes.BadInput);
        var classifier = TextClassifierFile.FromContents(contents, modelPath);
        OnnxExportResult result;
        try
        {
            result = OnnxExport.Classifier(classifier, outPath, opset);
        }
        catch (OnnxExportException e)
        {
            throw new CliError($"export onnx: {modelPath}: {e.Message}", ExitCodes.BadInput);
        }
        long parameters = classifier.Parameters().Sum(p => (long)p.Length);
        if (json)
            JsonLine.Print(new ExportOnnxOutput(result.Path, result.Opset, result.Bytes, result.Nodes, result.Initializers, parameters,
                [.. result.Inputs], [.. result.Outputs], [.. classifier.Labels.Labels]), CliJson.Default.ExportOnnxOutput);
        else
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "wrote {0}: opset {1}, {2} nodes, {3:N0} parameters, {4:F1} MB; inputs {5}; outputs {6}",
                result.Path, result.Opset, result.Nodes, parameters, result.Bytes / 1e6, string.Join(", ", result.Inputs), string.Join(", ", result.Outputs)));
        return ExitCodes.Ok;
    }
}
