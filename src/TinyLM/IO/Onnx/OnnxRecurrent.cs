using TinyLM.IO.Onnx.Proto;
using TinyLM.Nn;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// A stacked bidirectional LSTM/GRU as ONNX LSTM/GRU nodes, one per layer. Our weights follow PyTorch's gate order
/// (LSTM i, f, g, o; GRU r, z, n), ONNX's is LSTM i, o, f, c and GRU z, r, h, so the gate blocks are reordered here;
/// PyTorch's GRU applies the reset gate after the recurrent matrix, which is ONNX's linear_before_reset = 1.
/// sequence_lens gives both what our per-sequence lengths give: padded steps neither change the state nor
/// output anything, and the reverse direction starts at each sequence's last valid token.
/// </summary>
internal static class OnnxRecurrent
{
    private static readonly int[] LstmOrder = [0, 3, 1, 2]; // ONNX gate k comes from our gate LstmOrder[k]
    private static readonly int[] GruOrder = [1, 0, 2];

    /// <summary>
    /// Runs <paramref name="rnn"/> over x (B, T, I) with int64 lengths (B); returns the last layer's outputs
    /// (B, T, 2H) and its final hidden states (2, B, H), forward first.
    /// </summary>
    public static (string Output, string Final) Bidirectional(this OnnxGraphBuilder g, string x, string lengths, RecurrentModule rnn, bool lstm, string name)
    {
        if (!rnn.Bidirectional) throw new OnnxExportException($"{name}: only the bidirectional recurrent encoder is exported.");
        if (!rnn.HasBias) throw new OnnxExportException($"{name}: a recurrent layer without biases is not exported.");
        var parameters = rnn.NamedParameters().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        int h = rnn.HiddenSize, gates = lstm ? 4 : 3;
        int[] order = lstm ? LstmOrder : GruOrder;
        string seqLens = g.Node("Cast", [lengths], Int("to", (long)TensorProto.Types.DataType.Int32));
        string layerInput = g.Node("Transpose", [x], Ints("perm", 1, 0, 2));          // (T, B, I)
        string final = "";
        for (int layer = 0; layer < rnn.NumLayers; layer++)
        {
            int inputSize = layer == 0 ? rnn.InputSize : 2 * h;
            var w = new float[2 * gates * h * inputSize];
            var r = new float[2 * gates * h * h];
            var b = new float[2 * 2 * gates * h];
            for (int d = 0; d < 2; d++)
            {
                string suffix = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                Reorder(parameters["weight_ih" + suffix], order, h * inputSize, w.AsSpan(d * gates * h * inputSize));
                Reorder(parameters["weight_hh" + suffix], order, h * h, r.AsSpan(d * gates * h * h));
                Reorder(parameters["bias_ih" + suffix], order, h, b.AsSpan(d * 2 * gates * h));
                Reorder(parameters["bias_hh" + suffix], order, h, b.AsSpan(d * 2 * gates * h + gates * h));
            }
            string prefix = $"{name}.l{layer}";
            string[] inputs =
            [
                layerInput,
                g.Floats(prefix + ".W", w, 2, gates * h, inputSize),
                g.Floats(prefix + ".R", r, 2, gates * h, h),
                g.Floats(prefix + ".B", b, 2, 2 * gates * h),
                seqLens,
            ];
            var attributes = new List<AttributeProto> { Int("hidden_size", h), Str("direction", "bidirectional") };
            if (!lstm) attributes.Add(Int("linear_before_reset", 1));
            var outputs = g.NodeMulti(lstm ? "LSTM" : "GRU", inputs, lstm ? 3 : 2, [.. attributes]);
            // Y (T, 2, B, H) → (T, B, 2H), both directions side by side as our layers hand them on.
            string y = g.Node("Transpose", [outputs[0]], Ints("perm", 0, 2, 1, 3));
            layerInput = g.Node("Reshape", [y, g.Longs(0, 0, -1)]);
            final = outputs[1];
        }
        return (g.Node("Transpose", [layerInput], Ints("perm", 1, 0, 2)), final);   // (B, T, 2H), (2, B, H)
    }

    // Copies a (gates · block) parameter into ONNX gate order: destination gate k is source gate order[k].
    private static void Reorder(Tensors.Tensor source, int[] order, int block, Span<float> destination)
    {
        var s = source.Contiguous().AsSpan();
        for (int k = 0; k < order.Length; k++)
            s.Slice(order[k] * block, block).CopyTo(destination.Slice(k * block, block));
    }
}
