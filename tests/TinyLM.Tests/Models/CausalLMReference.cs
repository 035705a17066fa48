using TinyLM.Models;

namespace TinyLM.Tests.Models;

/// <summary>
/// A naive float64 forward pass of <see cref="CausalLM"/>, written from the architecture's definition and reading
/// weights by their llama-style names: the reference the float32 paths are checked against.
/// </summary>
internal static class CausalLMReference
{
    public static double[][] Logits(CausalLM model, int[] ids)
    {
        var cfg = model.Config;
        var w = new Dictionary<string, double[]>();
        foreach (var (name, p) in model.NamedParameters()) w[name] = Array.ConvertAll(p.ToArray(), v => (double)v);
        int t = ids.Length, c = cfg.EmbedDim, h = cfg.Heads, hkv = cfg.ResolvedKvHeads, d = cfg.HeadDim, f = cfg.ResolvedHiddenDim, v = cfg.VocabSize;
        var x = new double[t][];
        for (int i = 0; i < t; i++)
        {
            x[i] = new double[c];
            for (int j = 0; j < c; j++)
                x[i][j] = w["tok_embeddings.weight"][ids[i] * c + j] + (cfg.Positions == PositionKind.Learned ? w["pos_embeddings.weight"][i * c + j] : 0);
        }
        for (int l = 0; l < cfg.Layers; l++)
        {
            string p = $"layers.{l}.";
            var hn = Array.ConvertAll(x, r => Norm(cfg, w, p + "attention_norm", r));
            var q = Array.ConvertAll(hn, r => Linear(w, p + "attention.wq", r, h * d, c));
            var k = Array.ConvertAll(hn, r => Linear(w, p + "attention.wk", r, hkv * d, c));
            var vv = Array.ConvertAll(hn, r => Linear(w, p + "attention.wv", r, hkv * d, c));
            if (cfg.Positions == PositionKind.Rotary)
                for (int i = 0; i < t; i++)
                {
                    Rope(q[i], h, d, i, cfg.RopeTheta);
                    Rope(k[i], hkv, d, i, cfg.RopeTheta);
                }
            var att = new double[t][];
            for (int i = 0; i < t; i++)
            {
                att[i] = new double[h * d];
                for (int hh = 0; hh < h; hh++)
                {
                    int j = hh / (h / hkv);
                    var s = new double[i + 1];
                    double max = double.NegativeInfinity;
                    for (int u = 0; u <= i; u++)
                    {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q[i][hh * d + e] * k[u][j * d + e];
                        s[u] = dot / Math.Sqrt(d);
                        max = Math.Max(max, s[u]);
                    }
                    double z = 0;
                    for (int u = 0; u <= i; u++) z += s[u] = Math.Exp(s[u] - max);
                    for (int u = 0; u <= i; u++)
                        for (int e = 0; e < d; e++) att[i][hh * d + e] += s[u] / z * vv[u][j * d + e];
                }
            }
            for (int i = 0; i < t; i++)
            {
                var o = Linear(w, p + "attention.wo", att[i], c, h * d);
                for (int j = 0; j < c; j++) x[i][j] += o[j];
                var m = Norm(cfg, w, p + "ffn_norm", x[i]);
                double[] y;
                if (cfg.Mlp == MlpKind.SwiGlu)
                {
                    var a = Linear(w, p + "feed_forward.w1", m, f, c);
                    var b = Linear(w, p + "feed_forward.w3", m, f, c);
                    for (int e = 0; e < f; e++) a[e] = a[e] / (1 + Math.Exp(-a[e])) * b[e];
                    y = Linear(w, p + "feed_forward.w2", a, c, f);
                }
                else
                {
                    var a = Linear(w, p + "feed_forward.c_fc", m, f, c);
                    for (int e = 0; e < f; e++)
                        a[e] = cfg.ExactGelu ? 0.5 * a[e] * (1 + Nn.ExactGeluTests.Erf(a[e] / Math.Sqrt(2)))
                            : 0.5 * a[e] * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (a[e] + 0.044715 * a[e] * a[e] * a[e])));
                    y = Linear(w, p + "feed_forward.c_proj", a, c, f);
                }
                for (int j = 0; j < c; j++) x[i][j] += y[j];
            }
        }
        string output = cfg.TieWeights ? "tok_embeddings" : "output";
        return Array.ConvertAll(x, r => Linear(w, output, Norm(cfg, w, "norm", r), v, c));
    }

    private static double[] Linear(Dictionary<string, double[]> w, string name, double[] x, int rows, int cols)
    {
        var wt = w[name + ".weight"];
        w.TryGetValue(name + ".bias", out var b);
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = b?[r] ?? 0;
            for (int j = 0; j < cols; j++) s += wt[r * cols + j] * x[j];
            y[r] = s;
        }
        return y;
    }

    private static double[] Norm(CausalLMConfig cfg, Dictionary<string, double[]> w, string name, double[] x)
    {
        int n = x.Length;
        var y = new double[n];
        var g = w[name + ".weight"];
        if (cfg.Norm == NormKind.RmsNorm)
        {
            double ss = 0;
            foreach (var e in x) ss += e * e;
            double r = 1 / Math.Sqrt(ss / n + cfg.NormEps);
            for (int i = 0; i < n; i++) y[i] = x[i] * r * g[i];
            return y;
        }
        double mean = x.Average(), var = 0;
        foreach (var e in x) var += (e - mean) * (e - mean);
        double rs = 1 / Math.Sqrt(var / n + cfg.NormEps);
        w.TryGetValue(name + ".bias", out var b);
        for (int i = 0; i < n; i++) y[i] = (x[i] - mean) * rs * g[i] + (b?[i] ?? 0);
        return y;
    }

    private static void Rope(double[] v, int heads, int d, int pos, double theta)
    {
        for (int hh = 0; hh < heads; hh++)
            for (int i = 0; i < d / 2; i++)
            {
                double a = pos * Math.Pow(theta, -2.0 * i / d);
                int o = hh * d + 2 * i;
                double x0 = v[o], x1 = v[o + 1];
                v[o] = x0 * Math.Cos(a) - x1 * Math.Sin(a);
                v[o + 1] = x0 * Math.Sin(a) + x1 * Math.Cos(a);
            }
    }
}
