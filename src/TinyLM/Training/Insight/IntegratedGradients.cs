using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.Training.Insight;

/// <summary>
/// Integrated gradients through a classifier's token embeddings: token t's score is
/// x_t · ∫₀¹ ∂logit_label(αx)/∂x_t dα, where x is the (T, E) embedded text and the baseline αx at α = 0 is all-zero
/// embeddings. The scores sum to logit(x) − logit(0) exactly when the integral is (the completeness axiom).
/// <para>
/// The integral is a composite Gauss–Legendre sum: [0, 1] cut into panels of up to 8 nodes each, <c>steps</c> nodes
/// in all. Completeness holds on every panel too — ∫ₐᵇ ∇logit(αx)·x dα = logit(bx) − logit(ax) — and the panel ends are
/// run with the nodes, so each panel's quadrature error is known exactly. Recurrent and attention networks can turn
/// sharply somewhere on the path (a saturating gate), which a fixed grid misses by tens of percent; so while the
/// whole gap exceeds <see cref="TargetGap"/>, the panels that carry it are halved (up to <c>maxSteps</c> nodes, by default
/// 16 × <c>steps</c>; <c>maxSteps</c> = <c>steps</c> turns refinement off).
/// Every round is one batch through the encoder: one forward and one backward.
/// </para>
/// </summary>
public static class IntegratedGradients
{
    /// <summary>The relative completeness gap refinement aims below: half the 1% that is promised, for margin.</summary>
    public const double TargetGap = 0.005;

    private const int NodesPerPanel = 8;
    /// <summary>How far refinement may go unless told: 16 × the steps asked for.</summary>
    public const int DefaultRefinement = 16;

    /// <summary>Why integrated gradients cannot run on <paramref name="model"/>, or null when they can.</summary>
    public static string? Unsupported(TextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.HasNetwork) return "the model is the linear SVM alone: it has no network, so no gradient";
        // A quantized table only supplies rows (dequantized); a quantized layer after it cuts the gradient.
        var cut = model.NamedWeightFormats().Select(f => f.Key).FirstOrDefault(name => !name.StartsWith("embedding.", StringComparison.Ordinal));
        return cut is null ? null : $"the model's {cut} is quantized ({model.Quantization}): quantized layers record no gradient";
    }

    // A piece [A, B] of the path: the label's logit at both ends and Σ over its nodes of weight · ∂logit/∂(αx_t) · x_t per token.
    private sealed record Panel(double A, double B, float LogitA, float LogitB, double[] Scores, int Nodes)
    {
        public double Gap => Math.Abs(Scores.Sum() - (LogitB - LogitA));
    }

    /// <summary>
    /// Scores of each input position of <paramref name="ids"/> for the network's logit of <paramref name="label"/>, the
    /// logits at the text and at the baseline, and the quadrature nodes finally used.
    /// </summary>
    internal static (float[] Scores, float Logit, float Baseline, int Steps) Run(TextClassifier model, int[] ids, int label, int steps, int maxSteps)
    {
        if (Unsupported(model) is { } why) throw new InvalidOperationException($"integrated gradients: {why}; use occlusion.");
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        int nodesPerPanel = Math.Min(NodesPerPanel, steps);
        int panelCount = Math.Max(1, steps / nodesPerPanel);
        // Only the input's gradient is wanted: the weights leave the tape for this pass (and keep their gradients).
        var trainable = model.Parameters().Where(p => p.RequiresGrad).ToList();
        bool wasTraining = model.Training;
        model.Eval();
        foreach (var p in trainable) p.RequiresGrad = false;
        try
        {
            float[] x;
            using (Tensor.NoGrad()) x = model.Embedding.Forward(new IntTensor(ids, 1, ids.Length)).ToArray(); // (1, T, E)
            var path = new Path(model, x, ids.Length, label, nodesPerPanel);
            var panels = path.Evaluate([.. Enumerable.Range(0, panelCount).Select(i => ((double)i / panelCount, (double)(i + 1) / panelCount))]);
            float baseline = panels[0].LogitA, logit = panels[^1].LogitB;
            double difference = Math.Abs((double)logit - baseline), budget = Math.Max(maxSteps, panelCount * nodesPerPanel);
            while (true)
            {
                double gap = Math.Abs(panels.Sum(p => p.Scores.Sum()) - ((double)logit - baseline));
                int nodes = panels.Sum(p => p.Nodes);
                // A logit that hardly moves is held to an absolute 1e-4 rather than to a share of nothing.
                double allowed = Math.Max(TargetGap * difference, 1e-4);
                if (gap <= allowed || nodes + nodesPerPanel > budget) break;
                // Halve the panels that carry most of the error (a gap at least half the worst one's, and over its share of
                // what is allowed): a sharp turn is then chased down in a few rounds instead of spending the budget evenly.
                double worst = panels.Max(p => p.Gap), share = allowed / panels.Count;
                var split = panels.Where(p => p.Gap >= worst / 2 && p.Gap > share).ToList();
                if (split.Count == 0) split.Add(panels.MaxBy(p => p.Gap)!);
                int room = (int)(budget - nodes) / nodesPerPanel; // each halving adds one panel's nodes
                split = [.. split.Take(Math.Max(1, room))];
                var halves = path.Evaluate([.. split.SelectMany(p => new[] { (p.A, (p.A + p.B) / 2), ((p.A + p.B) / 2, p.B) })]);
                panels = [.. panels.Except(split).Concat(halves).OrderBy(p => p.A)];
            }
            var scores = new float[ids.Length];
            for (int i = 0; i < scores.Length; i++) scores[i] = (float)panels.Sum(p => p.Scores[i]);
            return (scores, logit, baseline, panels.Sum(p => p.Nodes));
        }
        finally
        {
            foreach (var p in trainable) p.RequiresGrad = true;
            model.Train(wasTraining);
        }
    }

    // The straight path from zero embeddings to the text's: runs panels' nodes and ends through the encoder as one batch.
    private sealed class Path(TextClassifier model, float[] x, int t, int label, int nodesPerPanel)
    {
        private readonly (double[] Nodes, double[] Weights) _rule = GaussLegendre.OnUnitInterval(nodesPerPanel);
        private readonly int _e = model.Embedding.EmbeddingDim;

        public List<Panel> Evaluate(IReadOnlyList<(double A, double B)> pieces)
        {
            // Rows: each piece's nodes, then its two ends.
            int perPiece = nodesPerPanel + 2;
            var alphas = new double[pieces.Count * perPiece];
            for (int p = 0; p < pieces.Count; p++)
            {
                var (a, b) = pieces[p];
                for (int k = 0; k < nodesPerPanel; k++) alphas[p * perPiece + k] = a + (b - a) * _rule.Nodes[k];
                alphas[p * perPiece + nodesPerPanel] = a;
                alphas[p * perPiece + nodesPerPanel + 1] = b;
            }
            var (logits, dots) = Rows(alphas);
            var panels = new List<Panel>(pieces.Count);
            for (int p = 0; p < pieces.Count; p++)
            {
                var (a, b) = pieces[p];
                var scores = new double[t];
                for (int k = 0; k < nodesPerPanel; k++)
                {
                    double w = (b - a) * _rule.Weights[k];
                    var row = dots[p * perPiece + k];
                    for (int i = 0; i < t; i++) scores[i] += w * row[i];
                }
                panels.Add(new Panel(a, b, logits[p * perPiece + nodesPerPanel], logits[p * perPiece + nodesPerPanel + 1], scores, nodesPerPanel));
            }
            return panels;
        }

        // For each α: the label's logit at αx, and per token ∂logit/∂(αx_t) · x_t (rows are independent texts of the batch).
        private (float[] Logits, double[][] Dots) Rows(double[] alphas)
        {
            int rows = alphas.Length, c = model.Labels.Count, e = _e;
            using var scope = new TensorScope();
            var data = new float[rows * t * e];
            for (int k = 0; k < rows; k++)
            {
                var row = data.AsSpan(k * t * e, t * e);
                for (int i = 0; i < row.Length; i++) row[i] = (float)alphas[k] * x[i];
            }
            var input = Tensor.FromArray(data, rows, t, e);
            input.RequiresGrad = true;
            var logits = model.Output.Forward(model.Encoder.Forward(input, Enumerable.Repeat(t, rows).ToArray())); // (rows, C)
            var values = logits.ToArray();
            var seed = new float[rows * c];
            for (int k = 0; k < rows; k++) seed[k * c + label] = 1f;
            logits.Backward(Tensor.FromArray(seed, rows, c));
            var grad = input.Grad!.ToArray(); // (rows, T, E)
            var target = new float[rows];
            var dots = new double[rows][];
            for (int k = 0; k < rows; k++)
            {
                target[k] = values[k * c + label];
                dots[k] = new double[t];
                for (int i = 0; i < t; i++)
                {
                    double sum = 0;
                    for (int j = 0; j < e; j++) sum += (double)grad[(k * t + i) * e + j] * x[i * e + j];
                    dots[k][i] = sum;
                }
            }
            return (target, dots);
        }
    }
}
