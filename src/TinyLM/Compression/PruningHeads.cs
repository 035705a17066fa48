using TinyLM.Models;
using TinyLM.Tensors;
using static TinyLM.Compression.PruningUnits;
using static TinyLM.Compression.StructuredPruner;

namespace TinyLM.Compression;

/// <summary>
/// Structured pruning inside the Transformer encoder: whole attention heads (their q/k/v rows and output-projection
/// columns; the head width stays, so the model records it in <see cref="TextClassifierConfig.HeadDim"/>) or MLP
/// units (<see cref="TextClassifierConfig.MlpHidden"/>). The residual width is untouched, so LayerNorm statistics and
/// the model's function on the kept units are unchanged.
/// </summary>
internal static class PruningHeads
{
    private static string Block(int i) => $"encoder.block{i}.";

    /// <summary>Removes a <paramref name="sparsity"/> share of every block's heads, ranked by ‖W_v,h‖·‖W_o,h‖ (what a head can add to the residual).</summary>
    public static PruningPlan Plan(TextClassifier model, Dictionary<string, Tensor> p, double sparsity)
    {
        var c = model.Config;
        int e = c.EmbedDim, heads = c.Heads, d = c.HeadDim > 0 ? c.HeadDim : e / heads, kept = Kept(heads, sparsity);
        var keep = new Dictionary<string, int[]?[]>();
        for (int b = 0; b < c.Layers; b++)
        {
            string a = Block(b) + "attn.";
            var wv = p[a + "wv.weight"].AsSpan();  // (H·D, C)
            var wo = p[a + "wo.weight"].AsSpan();  // (C, H·D)
            var score = new double[heads];
            for (int h = 0; h < heads; h++)
            {
                double value = 0, output = 0;
                for (int k = 0; k < d; k++)
                {
                    value += RowSquares(wv, e, h * d + k);
                    output += ColumnSquares(wo, heads * d, h * d + k);
                }
                score[h] = value * output;
            }
            var rows = Expand(Strongest(score, kept), d);
            foreach (var w in new[] { "wq", "wk", "wv" })
            {
                keep[a + w + ".weight"] = [rows, null];
                keep[a + w + ".bias"] = [rows];
            }
            keep[a + "wo.weight"] = [null, rows];
        }
        return new PruningPlan(c with { Heads = kept, HeadDim = d }, keep);
    }

    /// <summary>Removes a <paramref name="sparsity"/> share of every block's MLP units, ranked by ‖fc row‖·‖proj column‖.</summary>
    public static PruningPlan MlpPlan(TextClassifier model, Dictionary<string, Tensor> p, double sparsity)
    {
        var c = model.Config;
        int e = c.EmbedDim, hidden = c.ResolvedMlpHidden, kept = Kept(hidden, sparsity);
        var keep = new Dictionary<string, int[]?[]>();
        for (int b = 0; b < c.Layers; b++)
        {
            string m = Block(b) + "mlp.";
            var fc = p[m + "c_fc.weight"].AsSpan();     // (M, C)
            var bias = p.TryGetValue(m + "c_fc.bias", out var fb) ? fb.AsSpan() : default;
            var proj = p[m + "c_proj.weight"].AsSpan(); // (C, M)
            var score = new double[hidden];
            for (int j = 0; j < hidden; j++)
                score[j] = (RowSquares(fc, e, j) + (bias.IsEmpty ? 0 : (double)bias[j] * bias[j])) * ColumnSquares(proj, hidden, j);
            var units = Strongest(score, kept);
            keep[m + "c_fc.weight"] = [units, null];
            keep[m + "c_fc.bias"] = [units];
            keep[m + "c_proj.weight"] = [null, units];
        }
        return new PruningPlan(c with { MlpHidden = kept }, keep);
    }

    // Head indices → the rows (or columns) of their D features each.
    private static int[] Expand(int[] heads, int d)
    {
        var result = new int[heads.Length * d];
        for (int i = 0; i < heads.Length; i++)
            for (int k = 0; k < d; k++) result[i * d + k] = heads[i] * d + k;
        return result;
    }
}
