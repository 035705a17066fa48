using TinyLM.IO;

namespace TinyLM.Tests.IO.Llama;

/// <summary>
/// llama2.c's run.c forward pass, written naively in float64 from the weights' arrays: the independent
/// reference our model is checked against.
/// </summary>
internal sealed class Llama2cReference(LlamaWeights w)
{
    private readonly LlamaShape _s = w.Shape;
    private readonly List<double[]>[] _keys = [.. Enumerable.Range(0, w.Shape.Layers).Select(_ => new List<double[]>())];
    private readonly List<double[]>[] _values = [.. Enumerable.Range(0, w.Shape.Layers).Select(_ => new List<double[]>())];

    /// <summary>Logits after feeding <paramref name="token"/> at the next position.</summary>
    public double[] Step(int token)
    {
        int c = _s.Dim, hd = _s.HeadDim, kvDim = _s.KvHeads * hd, f = _s.HiddenDim, pos = _keys[0].Count;
        var x = new double[c];
        for (int i = 0; i < c; i++) x[i] = w.TokenEmbedding[token * c + i];
        for (int l = 0; l < _s.Layers; l++)
        {
            double[] xb = RmsNorm(x, w.AttentionNorm, l * c);
            double[] q = MatVec(w.Wq, l, c, c, xb), k = MatVec(w.Wk, l, kvDim, c, xb), v = MatVec(w.Wv, l, kvDim, c, xb);
            Rope(q, pos, hd);
            Rope(k, pos, hd);
            _keys[l].Add(k);
            _values[l].Add(v);
            var att = new double[c];
            int group = _s.Heads / _s.KvHeads;
            for (int h = 0; h < _s.Heads; h++)
            {
                int kvh = h / group;
                var scores = new double[pos + 1];
                for (int t = 0; t <= pos; t++)
                {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) dot += q[h * hd + i] * _keys[l][t][kvh * hd + i];
                    scores[t] = dot / Math.Sqrt(hd);
                }
                double max = scores.Max(), sum = 0;
                for (int t = 0; t <= pos; t++) sum += scores[t] = Math.Exp(scores[t] - max);
                for (int t = 0; t <= pos; t++)
                    for (int i = 0; i < hd; i++) att[h * hd + i] += scores[t] / sum * _values[l][t][kvh * hd + i];
            }
            double[] o = MatVec(w.Wo, l, c, c, att);
            for (int i = 0; i < c; i++) x[i] += o[i];
            xb = RmsNorm(x, w.FfnNorm, l * c);
            double[] h1 = MatVec(w.W1, l, f, c, xb), h3 = MatVec(w.W3, l, f, c, xb);
            for (int i = 0; i < f; i++) h1[i] = h1[i] / (1 + Math.Exp(-h1[i])) * h3[i];
            double[] down = MatVec(w.W2, l, c, f, h1);
            for (int i = 0; i < c; i++) x[i] += down[i];
        }
        return MatVec(w.OutputWeights, 0, _s.VocabSize, c, RmsNorm(x, w.FinalNorm, 0));
    }

    private double[] RmsNorm(double[] x, float[] gain, int offset)
    {
        double ss = 0;
        foreach (double v in x) ss += v * v;
        double scale = 1 / Math.Sqrt(ss / x.Length + _s.NormEpsilon);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * scale * gain[offset + i];
        return y;
    }

    private static double[] MatVec(float[] stacked, int layer, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        long baseIndex = (long)layer * rows * cols;
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += stacked[baseIndex + (long)r * cols + j] * x[j];
            y[r] = sum;
        }
        return y;
    }

    // run.c: adjacent pairs (v[i], v[i+1]) rotate by pos · θ^(−(i mod head_size)/head_size).
    private void Rope(double[] v, int pos, int hd)
    {
        for (int i = 0; i < v.Length; i += 2)
        {
            double angle = pos * Math.Pow(_s.RopeTheta, -(double)(i % hd) / hd);
            double c = Math.Cos(angle), s = Math.Sin(angle), a = v[i], b = v[i + 1];
            v[i] = a * c - b * s;
            v[i + 1] = a * s + b * c;
        }
    }
}
