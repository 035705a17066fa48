using TinyLM.Nn;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// The pre-LN encoder block (<see cref="TransformerEncoderBlock"/>) as ONNX operators: multi-head attention with
/// padded keys filled with the same finite −1e9 our attention uses (so a fully masked row is uniform, not NaN), then the GELU (tanh) MLP, each with its residual.
/// </summary>
internal static class OnnxTransformer
{
    /// <summary>x (B, T, C) → (B, T, C); <paramref name="keyMask"/> (B, 1, 1, T) bool is true at valid keys.</summary>
    public static string EncoderBlock(this OnnxGraphBuilder g, string x, string keyMask, TransformerEncoderBlock block, string name)
    {
        var attention = block.Attention;
        if (attention.Rope is not null || attention.Causal || attention.KvHeads != attention.Heads)
            throw new OnnxExportException($"{name}: only plain (no rotary, non-causal, one kv head per head) encoder attention is exported.");
        if (block.Mlp.Activation != ActivationKind.Gelu)
            throw new OnnxExportException($"{name}: only the tanh-GELU MLP is exported, got {block.Mlp.Activation}.");
        int heads = attention.Heads, d = attention.HeadDim;
        string h = g.LayerNorm(x, block.Ln1, name + ".ln_1");
        string Heads(string projected, params long[] perm) =>
            g.Node("Transpose", [g.Node("Reshape", [projected, g.Longs(0, 0, heads, d)])], Ints("perm", perm));
        string q = Heads(g.Linear(h, attention.Wq, name + ".attn.wq"), 0, 2, 1, 3);  // (B, H, T, D)
        string k = Heads(g.Linear(h, attention.Wk, name + ".attn.wk"), 0, 2, 3, 1);  // (B, H, D, T)
        string v = Heads(g.Linear(h, attention.Wv, name + ".attn.wv"), 0, 2, 1, 3);  // (B, H, T, D)
        // Scaling q before the product, as ours does, keeps the rounding the same.
        string attended = g.Attend(g.Node("Mul", [q, g.Scalar(1f / MathF.Sqrt(d))]), k, v, keyMask); // (B, H, T, D)
        string context = g.Node("Transpose", [attended], Ints("perm", 0, 2, 1, 3));  // (B, T, H, D)
        string merged = g.Node("Reshape", [context, g.Longs(0, 0, heads * d)]);      // (B, T, H·D)
        x = g.Node("Add", [x, g.Linear(merged, attention.Wo, name + ".attn.wo")]);
        string m = g.LayerNorm(x, block.Ln2, name + ".ln_2");
        m = g.Linear(g.GeluTanh(g.Linear(m, block.Mlp.Fc, name + ".mlp.c_fc")), block.Mlp.Proj, name + ".mlp.c_proj");
        return g.Node("Add", [x, m]);                                                 // (B, T, C)
    }
}
