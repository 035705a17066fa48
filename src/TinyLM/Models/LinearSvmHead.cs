using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// A one-vs-rest linear SVM over sublinear tf-idf features of the same token ids as the classifier's embedding
/// (words and exact bigrams): a text is the L2-normalised vector (1 + ln tf)·idf over its distinct known ids, and
/// class k scores w_k·x + b_k. This is the "tf-idf + LinearSVC" baseline that long news articles favour (R8), mixed
/// into the network's log-probabilities at inference:
/// (1 − λ)·log softmax(network [+ naive Bayes]) + λ·<see cref="LogitScale"/>·scores. It is fitted outside the
/// gradient loop (dual coordinate descent, TinyLM.Training.LinearSvmFitter); training the network leaves it as fitted.
/// Weights: <c>idf</c> (rows) — 0 for ids never seen in training, which then count nowhere, not even in the norm —
/// <c>weight</c> (rows, C) and <c>bias</c> (C).
/// </summary>
public sealed class LinearSvmHead : Module
{
    /// <summary>
    /// SVM margins are about ±1 where log-probabilities span several nats: scaling them by 10 puts a margin of 1
    /// at odds of e^10, so that both can be mixed and the softmax of λ = 1 gives usable probabilities.
    /// </summary>
    public const float LogitScale = 10f;

    /// <param name="rows">Token ids the head can score (the embedding's rows).</param>
    /// <param name="classes">C.</param>
    public LinearSvmHead(int rows, int classes)
    {
        if (rows < 1 || classes < 2)
            throw new ArgumentOutOfRangeException(nameof(rows), $"LinearSvmHead: needs ≥ 1 row and ≥ 2 classes, got {rows} × {classes}.");
        Classes = classes;
        Idf = RegisterParameter("idf", Tensor.Zeros(rows));
        Weight = RegisterParameter("weight", Tensor.Zeros(rows, classes));
        Bias = RegisterParameter("bias", Tensor.Zeros(classes));
    }

    /// <summary>C.</summary>
    public int Classes { get; }

    /// <summary>Rows: the ids the head can score.</summary>
    public int Rows => Idf.Dim(0);

    /// <summary>(rows): inverse document frequency per id, 0 for ids unseen in training.</summary>
    public Tensor Idf { get; }

    /// <summary>(rows, C): one weight column per class.</summary>
    public Tensor Weight { get; }

    /// <summary>The weight's stored form when quantized (the head scores with <see cref="Weight"/>, which then holds its dequantized values).</summary>
    public Kernels.IWeightMatrix? QuantizedWeight => WeightFormat("weight");

    // The weight may be stored quantized (an int8 table); scoring still reads the float values it dequantizes to.
    protected override bool IsQuantizable(string name) => name == "weight";

    /// <summary>(C).</summary>
    public Tensor Bias { get; }

    /// <summary>
    /// Sets idf = ln((1 + n) / (1 + df)) + 1 from the training texts (scikit-learn's smoothed form; padding id 0 and ids
    /// never seen get 0).
    /// </summary>
    public void FitIdf(IReadOnlyList<int[]> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0) throw new ArgumentException("LinearSvmHead.FitIdf: no texts.");
        int rows = Rows;
        var df = new int[rows];
        var lastSeen = new int[rows];
        Array.Fill(lastSeen, -1);
        for (int i = 0; i < ids.Count; i++)
            foreach (int id in ids[i])
            {
                if ((uint)id >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(ids), $"LinearSvmHead.FitIdf: id {id} of text {i} is not in [0, {rows}).");
                if (lastSeen[id] != i) { lastSeen[id] = i; df[id]++; }
            }
        var idf = Idf.AsSpan();
        for (int r = 0; r < rows; r++) idf[r] = r == 0 || df[r] == 0 ? 0f : (float)(Math.Log((1.0 + ids.Count) / (1.0 + df[r])) + 1.0);
    }

    /// <summary>
    /// The sparse feature vector of one text: its distinct ids with non-zero idf in ascending order and their
    /// L2-normalised (1 + ln tf)·idf values.
    /// </summary>
    public (int[] Ids, float[] Values) Features(ReadOnlySpan<int> ids)
    {
        var sorted = ids.ToArray();
        Array.Sort(sorted);
        var idf = Idf.AsSpan();
        var outIds = new List<int>(sorted.Length);
        var values = new List<double>(sorted.Length);
        for (int i = 0; i < sorted.Length;)
        {
            int id = sorted[i], j = i;
            while (j < sorted.Length && sorted[j] == id) j++;
            if ((uint)id >= (uint)idf.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"LinearSvmHead.Features: id {id} is not in [0, {idf.Length}).");
            if (idf[id] > 0f)
            {
                outIds.Add(id);
                values.Add((1.0 + Math.Log(j - i)) * idf[id]);
            }
            i = j;
        }
        double norm = 0;
        foreach (double v in values) norm += v * v;
        norm = norm > 0 ? 1.0 / Math.Sqrt(norm) : 0;
        var result = new float[values.Count];
        for (int i = 0; i < result.Length; i++) result[i] = (float)(values[i] * norm);
        return ([.. outIds], result);
    }

    /// <summary>Raw one-vs-rest margins (B, C) for a padded batch.</summary>
    public float[] Scores(PaddedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int c = Classes;
        var result = new float[batch.B * c];
        for (int b = 0; b < batch.B; b++) Score(batch.Ids.AsSpan(b * batch.T, batch.Lengths[b]), result.AsSpan(b * c, c));
        return result;
    }

    /// <summary>One text's raw margins (C) into <paramref name="row"/>: bias + Σ feature value · weight row.</summary>
    public void Score(ReadOnlySpan<int> ids, Span<float> row)
    {
        int c = Classes;
        if (row.Length != c) throw new ArgumentException($"LinearSvmHead.Score: the row holds {row.Length} values, the head has {c} classes.", nameof(row));
        var w = Weight.AsSpan();
        Bias.AsSpan().CopyTo(row);
        var (featureIds, values) = Features(ids);
        for (int j = 0; j < featureIds.Length; j++)
            TensorPrimitives.MultiplyAdd(w.Slice(featureIds[j] * c, c), values[j], row, row);
    }

    /// <summary>(1 − λ)·log softmax(<paramref name="logits"/>) + λ·scale·margins, (B, C), no gradient.</summary>
    public Tensor Blend(Tensor logits, PaddedBatch batch, float weight)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Dim(0) != batch.B || logits.Dim(1) != Classes)
            throw new ArgumentException($"LinearSvmHead.Blend: logits must be ({batch.B}, {Classes}), got ({string.Join(", ", logits.Shape)}).");
        var mixed = logits.Contiguous().ToArray();
        Mix(mixed, Scores(batch), Classes, weight);
        return Tensor.FromArray(mixed, batch.B, Classes);
    }

    /// <summary>In place: <paramref name="logits"/> (rows of C) ← (1 − λ)·log softmax + λ·<see cref="LogitScale"/>·<paramref name="scores"/>.</summary>
    public static void Mix(Span<float> logits, ReadOnlySpan<float> scores, int classes, float weight)
    {
        NaiveBayesHead.Mix(logits, scores, classes, weight);
        if (weight == 0f) return;
        // NaiveBayesHead.Mix added λ·scores; the margins want λ·scale·scores.
        TensorPrimitives.MultiplyAdd(scores, weight * (LogitScale - 1f), logits, logits);
    }
}
