using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Compression;

/// <summary>
/// Feature selection for an SVM-alone classifier (fastText's <c>-cutoff</c> with <c>-retrain</c>, for a tf-idf SVM):
/// vocabulary entries (words and word bigrams) are ranked by the largest contribution their tf-idf feature can make to
/// a margin, max over classes |w_k| · idf; a pruned model keeps the first K, and its SVM is fitted again on them
/// (a feature that is dropped changes every text's L2 norm, so the old weights would no longer match). Work is done on
/// the source model's token ids, remapped: a pruned model's tokenizer maps exactly the kept entries to new ids and
/// anything else to OOV or nothing, and the refitted idf of OOV is 0, so remapped ids and the pruned model's own
/// encoding give the same features.
/// </summary>
public static class SvmFeatureSelection
{
    /// <summary>
    /// Why selection cannot start from <paramref name="model"/>, or null: it needs a float32 single-label classifier with a
    /// tf-idf SVM head over a word vocabulary (what the default recipe trains: the SVM alone, or mixed with a network,
    /// which the pruned models drop, see <see cref="Refit"/>).
    /// </summary>
    public static string? Unsupported(TextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Quantization is not null) return $"the model is already quantized ({model.Quantization}); start from its float32 original";
        if (model.LinearSvm is null) return "feature selection needs a classifier with a tf-idf SVM head (the default recipe's); this one has none";
        if (model.Config.MultiLabel) return "feature selection needs a single-label classifier";
        if (model.Words is null) return $"feature selection needs a word tokenizer, got {model.Tokenizer.Kind}";
        if (model.Config.BigramBuckets > 0) return "feature selection needs exact word bigrams, not hashed buckets";
        return null;
    }

    /// <summary>Row importance of a fitted head: max over classes |w_rk| times idf_r (0 for ids never seen).</summary>
    public static double[] Importance(LinearSvmHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        var w = head.Weight.AsSpan();
        var idf = head.Idf.AsSpan();
        int c = head.Classes;
        var result = new double[head.Rows];
        for (int r = 0; r < result.Length; r++)
        {
            double max = 0;
            for (int k = 0; k < c; k++) max = Math.Max(max, Math.Abs(w[r * c + k]));
            result[r] = max * idf[r];
        }
        return result;
    }

    /// <summary>The ids with non-zero importance, most important first (ties: the lower id), never padding or OOV.</summary>
    public static int[] Ranking(double[] importance, int firstWordId)
    {
        ArgumentNullException.ThrowIfNull(importance);
        var ids = Enumerable.Range(firstWordId, Math.Max(0, importance.Length - firstWordId)).Where(id => importance[id] > 0).ToArray();
        Array.Sort(ids, (a, b) => importance[a] != importance[b] ? importance[b].CompareTo(importance[a]) : a.CompareTo(b));
        return ids;
    }

    /// <summary>The first word id of <paramref name="words"/> (after padding and the OOV token).</summary>
    public static int FirstWordId(WordTokenizer words) => words?.OovId is null ? 1 : 2;

    /// <summary>
    /// The order the kept ids take in the pruned vocabulary: by document frequency in <paramref name="ids"/>, highest first
    /// (ties: the lower id), so that idf, a function of it, runs in long stretches of one value that a deflated file stores
    /// in almost nothing.
    /// </summary>
    public static int[] OrderByFrequency(IReadOnlyList<int> kept, IReadOnlyList<int[]> ids, int rows)
    {
        var df = new int[rows];
        var last = new int[rows];
        Array.Fill(last, -1);
        for (int i = 0; i < ids.Count; i++)
            foreach (int id in ids[i])
                if (last[id] != i) { last[id] = i; df[id]++; }
        var order = kept.ToArray();
        Array.Sort(order, (a, b) => df[a] != df[b] ? df[b].CompareTo(df[a]) : a.CompareTo(b));
        return order;
    }

    /// <summary>Old id → new id (first word id + position in <paramref name="keptInOrder"/>), −1 for every other id.</summary>
    public static int[] Remap(IReadOnlyList<int> keptInOrder, int rows, int firstWordId)
    {
        var map = new int[rows];
        Array.Fill(map, -1);
        for (int j = 0; j < keptInOrder.Count; j++) map[keptInOrder[j]] = firstWordId + j;
        return map;
    }

    /// <summary>Every text's ids through <paramref name="map"/>, dropping those it maps to −1.</summary>
    public static int[][] Apply(int[] map, IReadOnlyList<int[]> ids, IReadOnlyList<int> which)
    {
        var result = new int[which.Count][];
        for (int i = 0; i < result.Length; i++)
        {
            var kept = new List<int>(ids[which[i]].Length);
            foreach (int id in ids[which[i]])
                if (map[id] >= 0) kept.Add(map[id]);
            result[i] = [.. kept];
        }
        return result;
    }

    /// <summary>
    /// A float32 SVM-alone model over the kept entries of <paramref name="source"/> (in <paramref name="keptInOrder"/>
    /// order), its SVM fitted on the remapped training ids with the source's seed and the default penalty. A source that
    /// mixes a network with its SVM loses the network: a pruned vocabulary has no embedding rows to feed it, and the
    /// candidates are judged on held-out data like any other.
    /// </summary>
    public static TextClassifier Refit(TextClassifier source, IReadOnlyList<int> keptInOrder, int[][] remappedIds, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(source);
        var words = source.Words ?? throw new ArgumentException("SvmFeatureSelection.Refit: the model has no word tokenizer.", nameof(source));
        var tokenizer = words.WithWords(keptInOrder.Select(words.IdToWord));
        var config = source.Config with { VocabSize = tokenizer.VocabSize, SvmOnly = true, LinearSvmWeight = 1f, NaiveBayesWeight = 0f };
        var model = new TextClassifier(config, tokenizer, source.Labels);
        LinearSvmFitter.Fit(model.LinearSvm!, remappedIds, labels, seed: source.Config.Seed);
        return model;
    }

    /// <summary>Accuracy of <paramref name="head"/> on already remapped ids: the class of the largest margin, as the model predicts.</summary>
    public static double Accuracy(LinearSvmHead head, int[][] ids, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (ids.Length == 0) return double.NaN;
        int correct = 0;
        var scores = new float[head.Classes];
        for (int i = 0; i < ids.Length; i++)
        {
            head.Score(ids[i], scores);
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores) == labels[i]) correct++;
        }
        return (double)correct / ids.Length;
    }
}
