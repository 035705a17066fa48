using System.Globalization;

namespace TinyLM.Training;

/// <summary>chrF settings; the defaults are sacreBLEU's (chrF2: char order 6, word order 0, beta 2).</summary>
public sealed record ChrFOptions
{
    /// <summary>Longest character n-gram.</summary>
    public int CharOrder { get; init; } = 6;

    /// <summary>Longest word n-gram; 2 gives chrF++.</summary>
    public int WordOrder { get; init; }

    /// <summary>Recall weighs beta times as much as precision.</summary>
    public int Beta { get; init; } = 2;

    public bool Lowercase { get; init; }

    /// <summary>Keep whitespace inside character n-grams (off by default: whitespace is removed).</summary>
    public bool Whitespace { get; init; }

    /// <summary>
    /// Average per-order F-scores with an epsilon for empty orders (chrF++.py/NLTK behaviour)
    /// instead of sacreBLEU 2's default: F-score of precision and recall averaged over the
    /// orders that have n-grams on both sides.
    /// </summary>
    public bool EpsSmoothing { get; init; }
}

/// <summary>A chrF score in 0..100.</summary>
public sealed record ChrFScore(double Score, int CharOrder, int WordOrder, int Beta)
{
    /// <summary>sacreBLEU's name for the metric: chrF2, or chrF2++ with word n-grams.</summary>
    public string Name => "chrF" + Beta.ToString(CultureInfo.InvariantCulture) + new string('+', WordOrder);

    public override string ToString() => $"{Name} = {PyFormat.Fixed(Score, 2)}";
}

/// <summary>
/// Character n-gram F-score (Popović, 2015) as sacreBLEU computes it: per-sentence n-gram
/// statistics (against the best-scoring reference when there are several) summed over the corpus.
/// </summary>
public static class ChrF
{
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    public static ChrFScore CorpusScore(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> referenceStreams, ChrFOptions? options = null)
    {
        options ??= new ChrFOptions();
        MetricArgs.CheckCorpus(nameof(ChrF), hypotheses, referenceStreams);
        if (options.CharOrder < 0 || options.WordOrder < 0 || options.CharOrder + options.WordOrder == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "chrF: CharOrder and WordOrder must be non-negative and not both 0");
        }

        int orders = options.CharOrder + options.WordOrder;
        var totals = new long[3 * orders];
        for (int s = 0; s < hypotheses.Count; s++)
        {
            List<Dictionary<string, int>> hyp = Extract(Preprocess(hypotheses[s], options), options);
            long[]? best = null;
            double bestF = -1.0;
            foreach (string reference in MetricArgs.ReferencesOf(nameof(ChrF), referenceStreams, s))
            {
                List<Dictionary<string, int>> refNgrams = Extract(Preprocess(reference, options), options);
                var stats = new long[3 * orders];
                for (int i = 0; i < orders; i++) Match(hyp[i], refNgrams[i], stats.AsSpan(3 * i, 3));
                double f = FScore(stats, options);
                if (f > bestF)
                {
                    bestF = f;
                    best = stats;
                }
            }

            for (int i = 0; i < totals.Length; i++) totals[i] += best![i];
        }

        return new ChrFScore(FScore(totals, options), options.CharOrder, options.WordOrder, options.Beta);
    }

    public static ChrFScore CorpusScore(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, ChrFOptions? options = null) =>
        CorpusScore(hypotheses, [references], options);

    public static ChrFScore SentenceScore(string hypothesis, IReadOnlyList<string> references, ChrFOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(references);
        var streams = new IReadOnlyList<string?>[references.Count];
        for (int i = 0; i < streams.Length; i++) streams[i] = [references[i]];
        return CorpusScore([hypothesis], streams, options);
    }

    private static string Preprocess(string text, ChrFOptions options) => options.Lowercase ? text.ToLowerInvariant() : text;

    private static List<Dictionary<string, int>> Extract(string line, ChrFOptions options)
    {
        var result = new List<Dictionary<string, int>>(options.CharOrder + options.WordOrder);
        string chars = options.Whitespace ? line : string.Concat(PyFormat.Split(line));
        // Python slices strings by code point, so n-grams are cut at rune boundaries, not UTF-16 units.
        var starts = new List<int>(chars.Length + 1);
        for (int i = 0; i < chars.Length; i += char.IsSurrogatePair(chars, i) ? 2 : 1) starts.Add(i);
        starts.Add(chars.Length);
        int runes = starts.Count - 1;
        for (int n = 1; n <= options.CharOrder; n++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i + n <= runes; i++)
            {
                string key = chars[starts[i]..starts[i + n]];
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }

            result.Add(counts);
        }

        if (options.WordOrder > 0)
        {
            List<string> words = SplitPunctuation(line);
            for (int n = 1; n <= options.WordOrder; n++)
            {
                var counts = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int i = 0; i + n <= words.Count; i++)
                {
                    string key = string.Join(' ', words.GetRange(i, n));
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }

                result.Add(counts);
            }
        }

        return result;
    }

    // chrF++ word tokens: one leading or trailing ASCII punctuation mark is split off each word.
    private static List<string> SplitPunctuation(string line)
    {
        var tokens = new List<string>();
        foreach (string w in PyFormat.Split(line))
        {
            if (PyFormat.CodePoints(w) == 1)
            {
                tokens.Add(w);
            }
            else if (Punctuation.Contains(w[^1], StringComparison.Ordinal))
            {
                tokens.Add(w[..^1]);
                tokens.Add(w[^1..]);
            }
            else if (Punctuation.Contains(w[0], StringComparison.Ordinal))
            {
                tokens.Add(w[..1]);
                tokens.Add(w[1..]);
            }
            else
            {
                tokens.Add(w);
            }
        }

        return tokens;
    }

    // [hypothesis n-grams (0 when the reference has none), reference n-grams, clipped matches]
    private static void Match(Dictionary<string, int> hyp, Dictionary<string, int> reference, Span<long> stats)
    {
        long hypCount = 0, refCount = 0, matches = 0;
        foreach (KeyValuePair<string, int> kv in hyp)
        {
            hypCount += kv.Value;
            if (reference.TryGetValue(kv.Key, out int r)) matches += Math.Min(kv.Value, r);
        }

        foreach (int v in reference.Values) refCount += v;
        stats[0] = reference.Count > 0 ? hypCount : 0;
        stats[1] = refCount;
        stats[2] = matches;
    }

    private static double FScore(ReadOnlySpan<long> stats, ChrFOptions options)
    {
        const double Eps = 1e-16;
        int orders = options.CharOrder + options.WordOrder;
        double factor = (double)options.Beta * options.Beta;
        double score = 0, avgPrecision = 0, avgRecall = 0;
        int effectiveOrder = 0;
        for (int i = 0; i < orders; i++)
        {
            long nHyp = stats[3 * i], nRef = stats[(3 * i) + 1], nMatch = stats[(3 * i) + 2];
            double precision = nHyp > 0 ? (double)nMatch / nHyp : Eps;
            double recall = nRef > 0 ? (double)nMatch / nRef : Eps;
            double denominator = (factor * precision) + recall;
            score += denominator > 0 ? (1 + factor) * precision * recall / denominator : Eps;
            if (nHyp > 0 && nRef > 0)
            {
                avgPrecision += precision;
                avgRecall += recall;
                effectiveOrder++;
            }
        }

        if (options.EpsSmoothing) return 100 * score / orders;
        if (effectiveOrder == 0) return 0.0;
        avgPrecision /= effectiveOrder;
        avgRecall /= effectiveOrder;
        if (avgPrecision + avgRecall == 0) return 0.0;
        // Same operation order as sacreBLEU, so scores agree to the last bit.
        double f = (1 + factor) * avgPrecision * avgRecall;
        f /= (factor * avgPrecision) + avgRecall;
        return 100 * f;
    }
}
