using TinyLM.IO.Onnx.Proto;
using TinyLM.Models;
using TinyLM.Nn;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// A <see cref="CausalLM"/> (GPT block: LayerNorm, GELU, learned or rotary positions; llama block: RMSNorm, SwiGLU,
/// RoPE, grouped-query heads) as one ONNX graph for both prompt and incremental decoding, in the layout Hugging Face
/// Optimum and ONNX Runtime GenAI use:
/// <code>
/// input_ids                 (batch, sequence) int64          the new tokens
/// past_key_values.{i}.key   (batch, kv_heads, past_sequence, head_dim) float   (past_sequence may be 0)
/// past_key_values.{i}.value (batch, kv_heads, past_sequence, head_dim) float
/// → logits                  (batch, sequence, vocab) float
/// → present.{i}.key/value   (batch, kv_heads, past_sequence + sequence, head_dim) float
/// </code>
/// The new tokens take positions past_sequence, past_sequence + 1, …; every row of a batch has the same length
/// (no padding, so no attention_mask input). Keys are cached after the rotary rotation, as ours.
/// </summary>
internal static class CausalLMOnnx
{
    public const string IdsInput = "input_ids";
    public const string LogitsOutput = "logits";

    public static string PastKey(int layer) => $"past_key_values.{layer}.key";
    public static string PastValue(int layer) => $"past_key_values.{layer}.value";
    public static string PresentKey(int layer) => $"present.{layer}.key";
    public static string PresentValue(int layer) => $"present.{layer}.value";

    public static GraphProto Build(CausalLM model, int opset)
    {
        var config = model.Config;
        var g = new OnnxGraphBuilder("tinylm_causal_lm", opset);
        string ids = g.Input(IdsInput, TensorProto.Types.DataType.Int64, "batch", "sequence");
        var past = new (string Key, string Value)[config.Layers];
        for (int i = 0; i < config.Layers; i++)
            past[i] = (g.Input(PastKey(i), TensorProto.Types.DataType.Float, "batch", config.ResolvedKvHeads, "past_sequence", config.HeadDim),
                g.Input(PastValue(i), TensorProto.Types.DataType.Float, "batch", config.ResolvedKvHeads, "past_sequence", config.HeadDim));

        string start = g.AxisSize(past[0].Key, 2);                                   // (1) P
        string end = g.Node("Add", [start, g.AxisSize(ids, 1)]);                     // (1) P + T
        string Scalar(string oneElement) => g.Node("Squeeze", [oneElement, g.Longs(0)]);
        string one = g.Int64s("one", [1L]), zero = g.Int64s("zero", [0L]);                // scalars
        string queryPositions = g.Node("Range", [Scalar(start), Scalar(end), one]);      // (T)
        string keyPositions = g.Node("Range", [zero, Scalar(end), one]);                 // (L)
        string visible = g.Node("LessOrEqual", [g.Node("Unsqueeze", [keyPositions, g.Longs(0)]),
            g.Node("Unsqueeze", [queryPositions, g.Longs(1)])]);                    // (T, L): key j ≤ query's position

        string x = g.Node("Gather", [g.Weight("tok_embeddings.weight", model.TokenEmbeddings.Weight), ids], Int("axis", 0)); // (B, T, C)
        if (model.PositionEmbeddings is { } positions)
            x = g.Node("Add", [x, g.Node("Slice", [g.Weight("pos_embeddings.weight", positions.Weight), start, end, g.Longs(0)])]);
        var rope = model.Blocks[0].Attention.Rope;
        var tables = rope is null ? default : g.RotaryTables(rope, start, end);

        for (int i = 0; i < config.Layers; i++)
            x = Block(g, x, model.Blocks[i], $"layers.{i}", past[i], (PresentKey(i), PresentValue(i)), rope is null ? null : tables, visible);

        x = Norm(g, x, model.FinalNorm, "norm");
        string logits = model.Output is { } output
            ? g.Linear(x, output, "output")
            // Tied: the embedding table once, transposed by a node ONNX Runtime folds when it loads the graph.
            : g.Node("MatMul", [x, g.Node("Transpose", ["tok_embeddings.weight"], Ints("perm", 1, 0))]);
        g.NodeNamed(LogitsOutput, "Identity", [logits]);

        g.Output(LogitsOutput, TensorProto.Types.DataType.Float, "batch", "sequence", config.VocabSize);
        for (int i = 0; i < config.Layers; i++)
        {
            g.Output(PresentKey(i), TensorProto.Types.DataType.Float, "batch", config.ResolvedKvHeads, "total_sequence", config.HeadDim);
            g.Output(PresentValue(i), TensorProto.Types.DataType.Float, "batch", config.ResolvedKvHeads, "total_sequence", config.HeadDim);
        }
        return g.Graph;
    }

    // x ← x + Attn(Norm₁(x)); x ← x + MLP(Norm₂(x))   (dropout is the identity at inference)
    private static string Block(OnnxGraphBuilder g, string x, DecoderBlock block, string name, (string, string) past, (string, string) present,
        (string Cos, string Sin)? rope, string visible)
    {
        var attention = block.Attention;
        int h = attention.Heads, hkv = attention.KvHeads, d = attention.HeadDim;
        string normed = Norm(g, x, block.AttentionNorm, name + ".attention_norm");
        string q = g.Linear(normed, attention.Wq, name + ".attention.wq");                  // (B, T, H·D)
        string k = g.Linear(normed, attention.Wk, name + ".attention.wk");                  // (B, T, Hkv·D)
        string v = g.Node("Reshape", [g.Linear(normed, attention.Wv, name + ".attention.wv"), g.Longs(0, 0, hkv, d)]);
        if (rope is { } tables)
        {
            q = g.Rotate(q, h, d, tables);                                                  // (B, T, H, D)
            k = g.Rotate(k, hkv, d, tables);                                                // (B, T, Hkv, D)
        }
        else
        {
            q = g.Node("Reshape", [q, g.Longs(0, 0, h, d)]);
            k = g.Node("Reshape", [k, g.Longs(0, 0, hkv, d)]);
        }
        string merged = g.CachedAttention(q, k, v, attention, past, present, visible);     // (B, T, H·D)
        x = g.Node("Add", [x, g.Linear(merged, attention.Wo, name + ".attention.wo")]);
        string m = Norm(g, x, block.FfnNorm, name + ".ffn_norm");
        m = block.FeedForward switch
        {
            SwiGluFeedForward swiGlu => g.SwiGlu(m, swiGlu, name + ".feed_forward"),
            FeedForward mlp => g.Linear(Activation(g, g.Linear(m, mlp.Fc, name + ".feed_forward.c_fc"), mlp.Activation, name),
                mlp.Proj, name + ".feed_forward.c_proj"),
            var other => throw new OnnxExportException($"{name}: the {other.GetType().Name} MLP has no ONNX form."),
        };
        return g.Node("Add", [x, m]);
    }

    private static string Norm(OnnxGraphBuilder g, string x, Module norm, string name) => norm switch
    {
        RmsNorm rms => g.RmsNorm(x, rms, name),
        LayerNorm layerNorm => g.LayerNorm(x, layerNorm, name),
        _ => throw new OnnxExportException($"{name}: the {norm.GetType().Name} norm has no ONNX form."),
    };

    private static string Activation(OnnxGraphBuilder g, string x, ActivationKind kind, string name) => kind switch
    {
        ActivationKind.Gelu => g.GeluTanh(x),
        ActivationKind.GeluExact => g.GeluErf(x),
        _ => throw new OnnxExportException($"{name}: the {kind} MLP activation has no ONNX form."),
    };
}
