using TinyLM.IO.Onnx.Proto;
using TinyLM.Models;
using TinyLM.Models.Encoders;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// A <see cref="TextClassifier"/> as an ONNX graph: input_ids (batch, sequence) int64, padded with 0, and lengths
/// (batch) int64 — the ids <see cref="ClassifierInputs.Encode"/> gives, bigram ids included — in; the mixture's
/// logits and its probabilities (softmax, or per-label sigmoid when multi-label) out, both (batch, classes).
/// Lengths are an input rather than read off the padding because a text's own ids may be 0 (an empty text
/// encodes as one padding id), and our pooling counts that position.
/// </summary>
internal static class TextClassifierOnnx
{
    public const string IdsInput = "input_ids";
    public const string LengthsInput = "lengths";
    public const string LogitsOutput = "logits";
    public const string ProbabilitiesOutput = "probabilities";

    public static GraphProto Build(TextClassifier model, int opset)
    {
        Check(model);
        var g = new OnnxGraphBuilder("tinylm_text_classifier", opset);
        string ids = g.Input(IdsInput, TensorProto.Types.DataType.Int64, "batch", "sequence");
        string lengths = g.Input(LengthsInput, TensorProto.Types.DataType.Int64, "batch");
        var mixture = model.Mixture;
        string? margins = mixture.LinearSvm is { } svm ? g.SvmMargins(ids, lengths, svm) : null;
        string logits = mixture.SvmAlone || !model.HasNetwork
            // The mixture multiplies the network's log-probabilities by 1 − λ = 0; zeros stand in for them, as ours.
            ? g.Node("Mul", [margins ?? throw new OnnxExportException("a model without a network needs its SVM head."), g.Scalar(0f)])
            : Network(g, model, ids, lengths);
        if (mixture.NaiveBayes is { } nb) logits = g.Blend(logits, g.NaiveBayesLogPosterior(ids, lengths, nb), mixture.NaiveBayesWeight);
        if (margins is not null) logits = g.Blend(logits, margins, mixture.LinearSvmWeight, LinearSvmHead.LogitScale);
        g.NodeNamed(LogitsOutput, "Identity", [logits]);
        g.NodeNamed(ProbabilitiesOutput, model.Config.MultiLabel ? "Sigmoid" : "Softmax", [logits],
            model.Config.MultiLabel ? [] : [Int("axis", -1)]);
        int classes = model.Labels.Count;
        g.Output(LogitsOutput, TensorProto.Types.DataType.Float, "batch", classes);
        g.Output(ProbabilitiesOutput, TensorProto.Types.DataType.Float, "batch", classes);
        return g.Graph;
    }

    // What the exporter does not express; refusing beats a file that runs and answers differently.
    private static void Check(TextClassifier model)
    {
        if (model.Quantization is not null || model.NamedWeightFormats().Any())
            throw new OnnxExportException("the model is quantized; the ONNX export writes float32 weights only. Export its float32 original.");
        if (model.Mixture.LinearSvm is { QuantizedWeight: not null })
            throw new OnnxExportException("the model's SVM head is quantized; the ONNX export writes float32 weights only.");
    }

    // embedding → encoder → pooling → output layer (dropout is the identity at inference).
    private static string Network(OnnxGraphBuilder g, TextClassifier model, string ids, string lengths)
    {
        string embedded = g.Node("Gather", [g.Weight("embedding.weight", model.Embedding.Weight), ids], Int("axis", 0)); // (B, T, E)
        string features = model.Encoder switch
        {
            BagEncoder => g.MeanOverTime(embedded, lengths),
            CnnEncoder cnn => Cnn(g, cnn, embedded, lengths),
            RecurrentEncoder rnn => Recurrent(g, rnn, embedded, lengths),
            TransformerTextEncoder transformer => Transformer(g, transformer, embedded, ids, lengths),
            var other => throw new OnnxExportException($"the {other.GetType().Name} encoder has no ONNX form."),
        };
        return g.Linear(features, model.Output, "output");                                 // (B, C)
    }

    // Kim's CNN: per width, Conv (padding w − 1 both ends) → ReLU → max over the L + w − 1 valid outputs.
    private static string Cnn(OnnxGraphBuilder g, CnnEncoder cnn, string embedded, string lengths)
    {
        string channelsFirst = g.Node("Transpose", [embedded], Ints("perm", 0, 2, 1));      // (B, E, T)
        var pooled = new List<string>();
        for (int i = 0; i < cnn.Convolutions.Count; i++)
        {
            var conv = cnn.Convolutions[i];
            var inputs = new List<string> { channelsFirst, g.Weight($"encoder.conv{i}.weight", conv.Weight) };
            if (conv.Bias is not null) inputs.Add(g.Weight($"encoder.conv{i}.bias", conv.Bias));
            string y = g.Node("Conv", [.. inputs], Ints("kernel_shape", conv.KernelSize), Ints("pads", conv.Padding, conv.Padding));
            string features = g.Node("Transpose", [g.Node("Relu", [y])], Ints("perm", 0, 2, 1)); // (B, T', F)
            string valid = g.Node("Max", [g.Node("Add", [lengths, g.Int64s($"conv{i}_extra", [2L * conv.Padding - conv.KernelSize + 1])]),
                g.Int64s($"conv{i}_zero", [0L])]);
            pooled.Add(g.MaxOverTime(features, valid));                                       // (B, F)
        }
        return pooled.Count == 1 ? pooled[0] : g.Node("Concat", [.. pooled], Int("axis", 1));
    }

    private static string Recurrent(OnnxGraphBuilder g, RecurrentEncoder encoder, string embedded, string lengths)
    {
        var (output, final) = g.Bidirectional(embedded, lengths, encoder.Rnn, encoder.IsLstm, "encoder.rnn");
        return encoder.PoolingMode switch
        {
            // (2, B, H) → (B, 2H): forward's state after the last valid token, then the reverse's after the first.
            PoolingKind.Last => g.Node("Reshape", [g.Node("Transpose", [final], Ints("perm", 1, 0, 2)), g.Longs(0, -1)]),
            PoolingKind.Max => g.MaxOverTime(output, lengths),
            _ => g.MeanOverTime(output, lengths),
        };
    }

    private static string Transformer(OnnxGraphBuilder g, TransformerTextEncoder encoder, string embedded, string ids, string lengths)
    {
        string positions = g.Node("Slice", [g.Weight("encoder.position_embedding", encoder.Positions), g.Longs(0), g.AxisSize(ids, 1), g.Longs(0)]);
        string x = g.Node("Add", [embedded, positions]);                                      // (B, T, C)
        string keyMask = g.Node("Unsqueeze", [g.ValidMask(ids, lengths), g.Longs(1, 2)]);   // (B, 1, 1, T)
        for (int i = 0; i < encoder.Blocks.Count; i++) x = g.EncoderBlock(x, keyMask, encoder.Blocks[i], $"encoder.block{i}");
        x = g.LayerNorm(x, encoder.FinalNorm, "encoder.ln_f");
        return encoder.PoolingMode switch
        {
            PoolingKind.Mean => g.MeanOverTime(x, lengths),
            PoolingKind.Max => g.MaxOverTime(x, lengths),
            _ => g.Node("Gather", [x, g.Int64s($"first_{x}", [0L])], Int("axis", 1)),        // (B, C): the first position
        };
    }
}
