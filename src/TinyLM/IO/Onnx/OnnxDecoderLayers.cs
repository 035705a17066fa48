using TinyLM.IO.Onnx.Proto;
using TinyLM.Nn;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// The pieces of a decoder-only block that the classifier graphs do not use, as ONNX operators (opset 17 and up):
/// RMSNorm, exact GELU, SwiGLU, rotary positions in the llama (adjacent-pair) convention, and causal attention over
/// a past key/value cache with grouped-query heads.
/// </summary>
internal static class OnnxDecoderLayers
{
    private const float MaskValue = -1e9f; // finite, as MultiHeadAttention's mask: exp underflows to exactly 0

    /// <summary>RMSNorm over the last axis: x / √(mean(x²) + eps) · w (ONNX has no RMSNormalization before opset 23).</summary>
    public static string RmsNorm(this OnnxGraphBuilder g, string x, RmsNorm norm, string name)
    {
        string squares = g.Node("Mul", [x, x]);
        string mean = g.Opset >= 18
            ? g.Node("ReduceMean", [squares, g.Longs(-1)], Int("keepdims", 1))
            : g.Node("ReduceMean", [squares], Ints("axes", -1), Int("keepdims", 1));
        string inverse = g.Node("Reciprocal", [g.Node("Sqrt", [g.Node("Add", [mean, g.Scalar(norm.Eps)])])]);
        return g.Node("Mul", [g.Node("Mul", [x, inverse]), g.Weight(name + ".weight", norm.Weight)]);
    }

    /// <summary>The exact GELU of nn.GELU(): 0.5·x·(1 + erf(x/√2)).</summary>
    public static string GeluErf(this OnnxGraphBuilder g, string x)
    {
        string erf = g.Node("Erf", [g.Node("Mul", [x, g.Scalar(1f / MathF.Sqrt(2f))])]);
        return g.Node("Mul", [g.Node("Mul", [x, g.Scalar(0.5f)]), g.Node("Add", [erf, g.Scalar(1f)])]);
    }

    /// <summary>llama's gated MLP: w2(silu(w1·x) ⊙ w3·x), silu(a) = a·σ(a).</summary>
    public static string SwiGlu(this OnnxGraphBuilder g, string x, SwiGluFeedForward mlp, string name)
    {
        string gate = g.Linear(x, mlp.W1, name + ".w1");
        string silu = g.Node("Mul", [gate, g.Node("Sigmoid", [gate])]);
        return g.Linear(g.Node("Mul", [silu, g.Linear(x, mlp.W3, name + ".w3")]), mlp.W2, name + ".w2");
    }

    /// <summary>
    /// cos and sin of the rotary angles for the positions [<paramref name="start"/>, <paramref name="end"/>), each
    /// (T, 1, D/2, 1) so they broadcast over (B, T, H, D/2, 1) pairs. The table is computed as
    /// <see cref="RotaryEmbedding"/> computes its own (double angles, then float).
    /// </summary>
    public static (string Cos, string Sin) RotaryTables(this OnnxGraphBuilder g, RotaryEmbedding rope, string start, string end)
    {
        int half = rope.HeadDim / 2, positions = rope.MaxPositions;
        var cos = new float[positions * half];
        var sin = new float[positions * half];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(rope.Theta, -2.0 * i / rope.HeadDim);
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        string Rows(string table) => g.Node("Reshape",
            [g.Node("Slice", [table, start, end, g.Longs(0)]), g.Longs(-1, 1, half, 1)]);
        return (Rows(g.Floats("rope.cos", cos, positions, half)), Rows(g.Floats("rope.sin", sin, positions, half)));
    }

    /// <summary>Rotates the adjacent pairs (x₂ᵢ, x₂ᵢ₊₁) of x (B, T, heads·D) by the tables' angles; returns (B, T, heads, D).</summary>
    public static string Rotate(this OnnxGraphBuilder g, string x, int heads, int headDim, (string Cos, string Sin) tables)
    {
        string pairs = g.Node("Reshape", [x, g.Longs(0, 0, heads, headDim / 2, 2)]);      // (B, T, H, D/2, 2)
        string even = g.Node("Slice", [pairs, g.Longs(0), g.Longs(1), g.Longs(4)]);        // (B, T, H, D/2, 1)
        string odd = g.Node("Slice", [pairs, g.Longs(1), g.Longs(2), g.Longs(4)]);
        string newEven = g.Node("Sub", [g.Node("Mul", [even, tables.Cos]), g.Node("Mul", [odd, tables.Sin])]);
        string newOdd = g.Node("Add", [g.Node("Mul", [odd, tables.Cos]), g.Node("Mul", [even, tables.Sin])]);
        return g.Node("Reshape", [g.Node("Concat", [newEven, newOdd], Int("axis", 4)), g.Longs(0, 0, heads, headDim)]);
    }

    /// <summary>
    /// Causal self-attention over the past cache and the new positions. <paramref name="q"/> (B, T, H, D) and
    /// <paramref name="k"/>, <paramref name="v"/> (B, T, Hkv, D) are the new positions' projections (rotated already);
    /// the past (B, Hkv, P, D) and the new keys are joined into the present outputs (B, Hkv, P + T, D).
    /// <paramref name="visible"/> (T, P + T) bool says which key each query may see. Query head h reads kv head
    /// h / (H/Hkv), as ours: the G heads of a group are one axis of a broadcasting MatMul, so K/V are not copied.
    /// Returns the merged heads (B, T, H·D) before the output projection.
    /// </summary>
    public static string CachedAttention(this OnnxGraphBuilder g, string q, string k, string v, MultiHeadAttention attention,
        (string Key, string Value) past, (string Key, string Value) present, string visible)
    {
        int h = attention.Heads, hkv = attention.KvHeads, d = attention.HeadDim;
        string keys = g.NodeNamed(present.Key, "Concat", [past.Key, g.Node("Transpose", [k], Ints("perm", 0, 2, 1, 3))], Int("axis", 2));
        string values = g.NodeNamed(present.Value, "Concat", [past.Value, g.Node("Transpose", [v], Ints("perm", 0, 2, 1, 3))], Int("axis", 2));
        // Scaling q before the product, as ours does, keeps the rounding the same.
        string queries = g.Node("Mul", [g.Node("Transpose", [q], Ints("perm", 0, 2, 1, 3)), g.Scalar(1f / MathF.Sqrt(d))]); // (B, H, T, D)
        string grouped = g.Node("Reshape", [queries, g.Longs(0, hkv, h / hkv, -1, d)]);                      // (B, Hkv, G, T, D)
        string keysT = g.Node("Unsqueeze", [g.Node("Transpose", [keys], Ints("perm", 0, 1, 3, 2)), g.Longs(2)]); // (B, Hkv, 1, D, L)
        string context = g.Attend(grouped, keysT, g.Node("Unsqueeze", [values, g.Longs(2)]), visible);     // (B, Hkv, G, T, D)
        string heads = g.Node("Transpose", [g.Node("Reshape", [context, g.Longs(0, h, -1, d)])], Ints("perm", 0, 2, 1, 3)); // (B, T, H, D)
        return g.Node("Reshape", [heads, g.Longs(0, 0, h * d)]);                                            // (B, T, H·D)
    }

    /// <summary>
    /// softmax(q·kᵀ masked) · v over the last two axes: <paramref name="queries"/> (…, T, D) already scaled,
    /// <paramref name="keysT"/> (…, D, L), <paramref name="values"/> (…, L, D); <paramref name="visible"/> (bool,
    /// broadcast to (…, T, L)) is false where a key is hidden. Returns (…, T, D).
    /// </summary>
    public static string Attend(this OnnxGraphBuilder g, string queries, string keysT, string values, string visible)
    {
        string scores = g.Node("MatMul", [queries, keysT]);
        string probs = g.Node("Softmax", [g.Node("Where", [visible, scores, g.Scalar(MaskValue)])], Int("axis", -1));
        return g.Node("MatMul", [probs, values]);
    }
}
