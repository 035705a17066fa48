using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// A multinomial naive Bayes model over the same token ids as the classifier's embedding (words and hashed
/// bigrams), fitted by counting, whose log-posterior is mixed into the network's at inference:
/// log p(c | x) ∝ (1 − γ)·log softmax(network) + γ·log softmax(naive Bayes). On short sentiment sentences the
/// generative model's counts add what a few thousand training texts cannot teach the embeddings (the idea
/// behind Wang &amp; Manning's NBSVM); on long news articles it is overconfident, so γ is chosen on held-out
/// training data (see ClassifierAutoRecipe). Weights: <c>log_prob</c> (rows, C), log p(token | class) with
/// add-α smoothing, and <c>log_prior</c> (C). They get no gradient: training the network leaves them as fitted.
/// </summary>
public sealed class NaiveBayesHead : Module
{
    /// <param name="rows">Token ids the head can score (the embedding's rows).</param>
    /// <param name="classes">C.</param>
    public NaiveBayesHead(int rows, int classes)
    {
        if (rows < 1 || classes < 2)
            throw new ArgumentOutOfRangeException(nameof(rows), $"NaiveBayesHead: needs ≥ 1 row and ≥ 2 classes, got {rows} × {classes}.");
        Classes = classes;
        LogProb = RegisterParameter("log_prob", Tensor.Zeros(rows, classes));
        LogPrior = RegisterParameter("log_prior", Tensor.Zeros(classes));
    }

    /// <summary>C.</summary>
    public int Classes { get; }

    /// <summary>(rows, C): log p(token | class).</summary>
    public Tensor LogProb { get; }

    /// <summary>(C): log p(class).</summary>
    public Tensor LogPrior { get; }

    /// <summary>
    /// Counts every token of every text (padding id 0 excluded) per class and sets the smoothed log
    /// probabilities. α is spread over the rows seen in training only, so unused hash buckets do not dilute it.
    /// </summary>
    public void Fit(IReadOnlyList<int[]> ids, IReadOnlyList<int> labels, float alpha = 1f)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(labels);
        if (ids.Count != labels.Count || ids.Count == 0)
            throw new ArgumentException($"NaiveBayesHead.Fit: {ids.Count} texts and {labels.Count} labels (need the same non-zero number).");
        if (!(alpha > 0f)) throw new ArgumentOutOfRangeException(nameof(alpha), $"NaiveBayesHead.Fit: α must be > 0, got {alpha}.");
        int rows = LogProb.Dim(0), c = Classes;
        var counts = new double[(long)rows * c];
        var totals = new double[c];
        var docs = new double[c];
        for (int i = 0; i < ids.Count; i++)
        {
            int y = labels[i];
            if ((uint)y >= (uint)c) throw new ArgumentOutOfRangeException(nameof(labels), $"NaiveBayesHead.Fit: label {y} of text {i} is not in [0, {c}).");
            docs[y]++;
            foreach (int id in ids[i])
            {
                if ((uint)id >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(ids), $"NaiveBayesHead.Fit: id {id} of text {i} is not in [0, {rows}).");
                if (id == 0) continue;
                counts[(long)id * c + y]++;
                totals[y]++;
            }
        }
        int seen = 0;
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < c; k++)
                if (counts[(long)r * c + k] > 0) { seen++; break; }
        var lp = LogProb.AsSpan();
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < c; k++)
                lp[r * c + k] = (float)Math.Log((counts[(long)r * c + k] + alpha) / (totals[k] + alpha * Math.Max(seen, 1)));
        lp[..c].Clear(); // padding scores nothing
        var prior = LogPrior.AsSpan();
        for (int k = 0; k < c; k++) prior[k] = (float)Math.Log((docs[k] + 1.0) / (ids.Count + c));
    }

    /// <summary>Log-posteriors (B, C) of naive Bayes for a padded batch, each row normalised (log softmax).</summary>
    public float[] LogPosterior(PaddedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int c = Classes;
        var lp = LogProb.AsSpan();
        var result = new float[batch.B * c];
        for (int b = 0; b < batch.B; b++)
        {
            var row = result.AsSpan(b * c, c);
            LogPrior.AsSpan().CopyTo(row);
            for (int t = 0; t < batch.Lengths[b]; t++)
                TensorPrimitives.Add(row, lp.Slice(batch.Ids[b * batch.T + t] * c, c), row);
            LogSoftmaxInPlace(row);
        }
        return result;
    }

    /// <summary>(1 − γ)·log softmax(<paramref name="logits"/>) + γ·naive Bayes log-posterior, (B, C), no gradient.</summary>
    public Tensor Blend(Tensor logits, PaddedBatch batch, float weight)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Dim(0) != batch.B || logits.Dim(1) != Classes)
            throw new ArgumentException($"NaiveBayesHead.Blend: logits must be ({batch.B}, {Classes}), got ({string.Join(", ", logits.Shape)}).");
        var net = logits.Contiguous().ToArray();
        var nb = LogPosterior(batch);
        Mix(net, nb, Classes, weight);
        return Tensor.FromArray(net, batch.B, Classes);
    }

    /// <summary>In place: <paramref name="network"/> (raw logits, rows of C) ← (1 − γ)·log softmax + γ·<paramref name="naiveBayes"/>.</summary>
    public static void Mix(Span<float> network, ReadOnlySpan<float> naiveBayes, int classes, float weight)
    {
        for (int start = 0; start < network.Length; start += classes)
        {
            var row = network.Slice(start, classes);
            LogSoftmaxInPlace(row);
            TensorPrimitives.Multiply(row, 1f - weight, row);
            TensorPrimitives.MultiplyAdd(naiveBayes.Slice(start, classes), weight, row, row);
        }
    }

    private static void LogSoftmaxInPlace(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        double sum = 0;
        foreach (float v in row) sum += Math.Exp(v - max);
        float shift = max + (float)Math.Log(sum);
        TensorPrimitives.Subtract(row, shift, row);
    }
}
