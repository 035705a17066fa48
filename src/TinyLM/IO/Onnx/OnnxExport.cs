using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using TinyLM.IO.Onnx.Proto;
using TinyLM.Models;

namespace TinyLM.IO.Onnx;

/// <summary>What an ONNX export wrote.</summary>
/// <param name="Path">The file.</param>
/// <param name="Opset">Default-domain opset of the graph.</param>
/// <param name="Bytes">File size.</param>
/// <param name="Nodes">Operators in the graph.</param>
/// <param name="Initializers">Weight (and constant) tensors in the graph.</param>
/// <param name="Inputs">Graph input names, in order.</param>
/// <param name="Outputs">Graph output names, in order.</param>
public sealed record OnnxExportResult(string Path, int Opset, long Bytes, int Nodes, int Initializers, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>
/// Writes TinyLM models as ONNX files for ONNX Runtime and other ONNX consumers. The tokenizer is not part of the
/// graph (ids in, scores out); it travels in the model's metadata_props as the same JSON the .tlm file holds, with the
/// labels as a JSON array in label-index order, so a consumer can rebuild the text → ids step.
/// <code>
/// OnnxExport.Classifier(model, "model.onnx");   // input_ids, lengths → logits, probabilities
/// </code>
/// </summary>
public static class OnnxExport
{
    /// <summary>The opset written when none is asked for: the first with LayerNormalization, run by every ORT since 1.14.</summary>
    public const int DefaultOpset = 17;
    /// <summary>Lowest opset the graphs can be written for (LayerNormalization needs 17).</summary>
    public const int MinOpset = 17;
    /// <summary>Highest opset written (ONNX Runtime 1.31 runs it).</summary>
    public const int MaxOpset = 21;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> (atomically: a failed export leaves no file).</summary>
    public static OnnxExportResult Classifier(TextClassifier model, string path, int opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckOpset(opset);
        var graph = TextClassifierOnnx.Build(model, opset);
        var proto = Model(graph, opset, "text-classifier");
        proto.MetadataProps.Add(Entry("tokenizer", model.Tokenizer.ToJson()));
        proto.MetadataProps.Add(Entry("labels", JsonSerializer.Serialize(model.Labels.Labels.ToArray(), OnnxJsonContext.Default.StringArray)));
        proto.MetadataProps.Add(Entry("tinylm.config", JsonSerializer.Serialize(model.Config, ModelsJsonContext.Default.TextClassifierConfig)));
        proto.MetadataProps.Add(Entry("tinylm.inputs", "input_ids: the ids of ClassifierInputs.Encode (word ids, cut to max_length, then bigram ids), right-padded with 0; lengths: each row's id count"));
        return Write(proto, path, opset);
    }

    private static void CheckOpset(int opset)
    {
        if (opset is < MinOpset or > MaxOpset)
            throw new OnnxExportException($"opset {opset} is not supported: the exporter writes opsets {MinOpset} to {MaxOpset}.");
    }

    private static ModelProto Model(GraphProto graph, int opset, string kind)
    {
        var model = new ModelProto
        {
            // The IR version that introduced each opset, so older readers accept the file.
            IrVersion = opset switch { <= 18 => 8, <= 20 => 9, _ => 10 },
            ProducerName = "tinylm",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph,
            DocString = $"TinyLM {kind}",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        model.MetadataProps.Add(Entry("tinylm.kind", kind));
        return model;
    }

    private static StringStringEntryProto Entry(string key, string value) => new() { Key = key, Value = value };

    private static OnnxExportResult Write(ModelProto model, string path, int opset)
    {
        AtomicFile.Write(path, stream => model.WriteTo(stream));
        return new OnnxExportResult(path, opset, new FileInfo(path).Length, model.Graph.Node.Count, model.Graph.Initializer.Count,
            [.. model.Graph.Input.Select(i => i.Name)], [.. model.Graph.Output.Select(o => o.Name)]);
    }
}

[JsonSerializable(typeof(string[]))]
internal sealed partial class OnnxJsonContext : JsonSerializerContext;
