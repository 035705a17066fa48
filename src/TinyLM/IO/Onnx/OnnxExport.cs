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

    /// <summary>
    /// Writes a causal LM (either family) as one graph with past key/value inputs and present outputs
    /// (<see cref="CausalLMOnnx"/>): a prompt runs with an empty past, each later token with the presents fed back.
    /// A quantized model is refused: its float32 parameters hold only the dequantized values of what it runs, and the
    /// file would silently answer like a different (float) model; export the float original instead.
    /// </summary>
    public static OnnxExportResult CausalLM(TokenizedCausalLM lm, string path, int opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(lm);
        CheckOpset(opset);
        if (lm.Model.HasQuantizedWeights)
            throw new OnnxExportException("the model is quantized; the ONNX export writes float32 weights only and refuses rather than "
                + "write a file that answers like a different model. Export its float32 original.");
        var graph = CausalLMOnnx.Build(lm.Model, opset);
        var proto = Model(graph, opset, "causal-lm");
        proto.MetadataProps.Add(Entry("tokenizer", lm.Tokenizer.ToJson()));
        proto.MetadataProps.Add(Entry("tinylm.config", JsonSerializer.Serialize(lm.Model.Config, CausalLMJsonContext.Default.CausalLMConfig)));
        if (lm.BosId is { } bos) proto.MetadataProps.Add(Entry("bos_token_id", bos.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (lm.EosId is { } eos) proto.MetadataProps.Add(Entry("eos_token_id", eos.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        proto.MetadataProps.Add(Entry("tinylm.inputs", "input_ids: the new tokens (batch, sequence), every row the same length; "
            + "past_key_values.N.key/value: (batch, kv_heads, past_sequence, head_dim), empty (past_sequence 0) for a prompt, "
            + "then the previous run's present.N.key/value; the new tokens take positions past_sequence, past_sequence + 1, …"));
        return Write(proto, path, opset);
    }

    /// <summary>
    /// Writes a Transformer seq2seq model as an encoder graph and a decoder graph (<see cref="Seq2SeqOnnx"/>; the
    /// decoder re-runs the target prefix, no past cache). Both graphs are built before either file is written.
    /// </summary>
    public static (OnnxExportResult Encoder, OnnxExportResult Decoder) Seq2Seq(Seq2SeqModel model, string encoderPath, string decoderPath, int opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckOpset(opset);
        if (model is not TransformerSeq2Seq transformer)
            throw new OnnxExportException($"only Transformer seq2seq models are exported; this one is {model.Config.Arch} (its recurrent decoder has no ONNX form here).");
        if (model.HasQuantizedWeights)
            throw new OnnxExportException("the model is quantized; the ONNX export writes float32 weights only. Export its float32 original.");
        var (encoder, decoder) = Seq2SeqOnnx.Build(transformer, opset);
        ModelProto Wrap(GraphProto graph, string part)
        {
            var proto = Model(graph, opset, $"seq2seq-{part}");
            proto.MetadataProps.Add(Entry("source_tokenizer", model.SourceTokenizer.ToJson()));
            proto.MetadataProps.Add(Entry("target_tokenizer", model.TargetTokenizer.ToJson()));
            proto.MetadataProps.Add(Entry("tinylm.config", JsonSerializer.Serialize(model.Config, Seq2SeqJsonContext.Default.Seq2SeqConfig)));
            foreach (var (key, id) in new[] { ("bos_token_id", model.BosId), ("eos_token_id", model.EosId), ("pad_token_id", model.PadId), ("source_pad_token_id", model.SourcePadId) })
                proto.MetadataProps.Add(Entry(key, id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            proto.MetadataProps.Add(Entry("tinylm.inputs", "encoder: source_ids = the source's ids and <eos>, right-padded, with source_lengths; "
                + "decoder: target_ids = <bos> and the tokens chosen so far (the whole prefix every step), memory and source_lengths from the encoder; "
                + "the last row of logits scores the next token"));
            return proto;
        }
        var encoderProto = Wrap(encoder, "encoder");
        var decoderProto = Wrap(decoder, "decoder");
        return (Write(encoderProto, encoderPath, opset), Write(decoderProto, decoderPath, opset));
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
