using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// Fits a <see cref="LinearSvmHead"/>: idf from the training texts, then one L2-regularised squared-hinge SVM per
/// class (one vs rest) by dual coordinate descent (Hsieh et al., ICML 2008, the LIBLINEAR solver without shrinking).
/// The bias is an extra constant feature of value 1, regularised like the weights, as LIBLINEAR and scikit-learn's
/// LinearSVC do. The classes are solved in parallel, each on its own seeded visiting order and its own weight
/// vector, so the result is the same bits at any thread count.
/// </summary>
public static class LinearSvmFitter
{
    /// <summary>
    /// The penalty C of the default recipe: chosen by 5-fold cross-validation on the TRAINING sets of R8 and MR
    /// among 0.3, 1 and 3 (scikit-learn, docs/benchmarks.md as of 9a96bbc); 3 was best on both.
    /// </summary>
    public const float DefaultPenalty = 3f;

    /// <summary>Fits idf and every class's weights from the training ids and labels.</summary>
    public static void Fit(LinearSvmHead head, IReadOnlyList<int[]> ids, IReadOnlyList<int> labels, float penalty = DefaultPenalty,
        ulong seed = 1, double tolerance = 1e-2, int maxEpochs = 1000)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(labels);
        if (ids.Count != labels.Count || ids.Count == 0)
            throw new ArgumentException($"LinearSvmFitter.Fit: {ids.Count} texts and {labels.Count} labels (need the same non-zero number).");
        int c = head.Classes, rows = head.Rows;
        for (int i = 0; i < labels.Count; i++)
            if ((uint)labels[i] >= (uint)c) throw new ArgumentOutOfRangeException(nameof(labels), $"LinearSvmFitter.Fit: label {labels[i]} of text {i} is not in [0, {c}).");
        head.FitIdf(ids);
        var features = new (int[] Ids, float[] Values)[ids.Count];
        for (int i = 0; i < features.Length; i++) features[i] = head.Features(ids[i]);
        var weights = new double[c][];
        var biases = new double[c];
        Threading.For(c, k =>
        {
            var y = new sbyte[labels.Count];
            for (int i = 0; i < y.Length; i++) y[i] = labels[i] == k ? (sbyte)1 : (sbyte)-1;
            (weights[k], biases[k]) = Solve(features, y, rows, penalty, seed + (ulong)k * 0x9E3779B97F4A7C15UL, tolerance, maxEpochs);
        });
        var w = head.Weight.AsSpan();
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < c; k++) w[r * c + k] = (float)weights[k][r];
        for (int k = 0; k < c; k++) head.Bias.AsSpan()[k] = (float)biases[k];
    }

    /// <summary>
    /// One binary problem: min over (w, b) of ½(‖w‖² + b²) + C·Σ max(0, 1 − yᵢ(w·xᵢ + b))², solved in the dual
    /// (0 ≤ αᵢ, diagonal 1/(2C)) until the projected gradient's spread falls below <paramref name="tolerance"/>.
    /// </summary>
    public static (double[] Weights, double Bias) Solve(IReadOnlyList<(int[] Ids, float[] Values)> x, ReadOnlySpan<sbyte> y, int rows,
        float penalty, ulong seed, double tolerance = 1e-3, int maxEpochs = 1000)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Count != y.Length) throw new ArgumentException($"LinearSvmFitter.Solve: {x.Count} texts and {y.Length} labels.");
        if (!(penalty > 0f)) throw new ArgumentOutOfRangeException(nameof(penalty), $"LinearSvmFitter.Solve: C must be > 0, got {penalty}.");
        int n = x.Count;
        double diagonal = 1.0 / (2.0 * penalty);
        var w = new double[rows];
        double b = 0;
        var alpha = new double[n];
        var q = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 1.0 + diagonal; // the bias feature's 1² and the squared hinge's diagonal
            foreach (float v in x[i].Values) s += (double)v * v;
            q[i] = s;
        }
        var rng = new Rng(seed);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int epoch = 0; epoch < maxEpochs; epoch++)
        {
            rng.Shuffle(order.AsSpan());
            double maxPg = double.NegativeInfinity, minPg = double.PositiveInfinity;
            foreach (int i in order)
            {
                var (ids, values) = x[i];
                double margin = b;
                for (int j = 0; j < ids.Length; j++) margin += w[ids[j]] * values[j];
                double g = y[i] * margin - 1.0 + diagonal * alpha[i];
                double pg = alpha[i] == 0 ? Math.Min(g, 0) : g;
                maxPg = Math.Max(maxPg, pg);
                minPg = Math.Min(minPg, pg);
                if (Math.Abs(pg) < 1e-12) continue;
                double old = alpha[i];
                alpha[i] = Math.Max(old - g / q[i], 0);
                double step = (alpha[i] - old) * y[i];
                for (int j = 0; j < ids.Length; j++) w[ids[j]] += step * values[j];
                b += step;
            }
            if (maxPg - minPg < tolerance) break;
        }
        return (w, b);
    }
}
