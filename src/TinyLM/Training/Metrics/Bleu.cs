using System.Globalization;

namespace TinyLM.Training;

/// <summary>How BLEU treats an n-gram order with no matches (Chen and Cherry, 2014).</summary>
public enum BleuSmoothing
{
    /// <summary>No smoothing: a zero precision makes BLEU 0.</summary>
    None,

    /// <summary>Method 1: a zero count becomes <see cref="BleuOptions.SmoothValue"/> (default 0.1).</summary>
    Floor,

    /// <summary>Method 2: add <see cref="BleuOptions.SmoothValue"/> (default 1) to counts and totals of orders above 1.</summary>
    AddK,

    /// <summary>Method 3, mteval-v13a's: the k-th zero-count order gets precision 1 / (2^k * total). sacreBLEU's default.</summary>
    Exp,
}

/// <summary>Word segmentation applied before counting n-grams.</summary>
public enum BleuTokenization
{
    /// <summary>No tokenization: split on whitespace only.</summary>
    None,

    /// <summary>mteval-v13a rules (sacreBLEU's default).</summary>
    Tok13a,
}

/// <summary>BLEU settings; the defaults are sacreBLEU's corpus_bleu defaults.</summary>
public sealed record BleuOptions
{
    public bool Lowercase { get; init; }

    public BleuTokenization Tokenize { get; init; } = BleuTokenization.Tok13a;

    public BleuSmoothing Smoothing { get; init; } = BleuSmoothing.Exp;

    /// <summary>Value for Floor (default 0.1) and AddK (default 1); ignored otherwise.</summary>
    public double? SmoothValue { get; init; }

    public int MaxNgramOrder { get; init; } = 4;

    /// <summary>Average only over orders that have n-grams (sentence-level BLEU wants this).</summary>
    public bool EffectiveOrder { get; init; }
}

/// <summary>A BLEU score (0..100) and its sufficient statistics.</summary>
public sealed record BleuScore(
    double Score, double[] Counts, double[] Totals, double[] Precisions, double BrevityPenalty, int SysLen, int RefLen)
{
    /// <summary>Hypothesis length over reference length.</summary>
    public double Ratio => RefLen == 0 ? 0 : (double)SysLen / RefLen;

    /// <summary>sacreBLEU's line, e.g. "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)".</summary>
    public override string ToString()
    {
        var precisions = new string[Precisions.Length];
        for (int i = 0; i < precisions.Length; i++) precisions[i] = PyFormat.Fixed(Precisions[i], 1);
        return string.Create(CultureInfo.InvariantCulture,
            $"BLEU = {PyFormat.Fixed(Score, 2)} {string.Join('/', precisions)} (BP = {PyFormat.Fixed(BrevityPenalty, 3)} ratio = {PyFormat.Fixed(Ratio, 3)} hyp_len = {SysLen} ref_len = {RefLen})");
    }
}

/// <summary>
/// Corpus BLEU exactly as sacreBLEU computes it by default: 13a tokenization, n-grams up to 4
/// clipped by the maximum count over references, corpus-level brevity penalty against the
/// closest reference length (shorter on ties), "exp" smoothing.
/// </summary>
public static class Bleu
{
    /// <summary>
    /// Scores hypotheses against one or more reference streams; stream r holds the r-th
    /// reference of every segment (a null entry means that segment has fewer references).
    /// </summary>
    public static BleuScore CorpusScore(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string?>> referenceStreams, BleuOptions? options = null)
    {
        options ??= new BleuOptions();
        MetricArgs.CheckCorpus(nameof(Bleu), hypotheses, referenceStreams);
        int order = options.MaxNgramOrder;
        if (order < 1) throw new ArgumentOutOfRangeException(nameof(options), order, "BLEU: MaxNgramOrder must be at least 1");

        var correct = new double[order];
        var total = new double[order];
        long sysLen = 0, refLen = 0;
        var refLens = new List<int>();
        for (int s = 0; s < hypotheses.Count; s++)
        {
            var refNgrams = new Dictionary<string, int>(StringComparer.Ordinal);
            refLens.Clear();
            foreach (string reference in MetricArgs.ReferencesOf(nameof(Bleu), referenceStreams, s))
            {
                Dictionary<string, int> counts = Ngrams(Preprocess(reference, options), order, out int length);
                refLens.Add(length);
                foreach (KeyValuePair<string, int> kv in counts)
                {
                    if (!refNgrams.TryGetValue(kv.Key, out int c) || kv.Value > c) refNgrams[kv.Key] = kv.Value;
                }
            }

            Dictionary<string, int> hyp = Ngrams(Preprocess(hypotheses[s], options), order, out int hypLen);
            sysLen += hypLen;
            refLen += ClosestLength(hypLen, refLens);
            foreach (KeyValuePair<string, int> kv in hyp)
            {
                int n = NgramOrder(kv.Key) - 1;
                total[n] += kv.Value;
                if (refNgrams.TryGetValue(kv.Key, out int rc)) correct[n] += Math.Min(kv.Value, rc);
            }
        }

        return FromStatistics(correct, total, checked((int)sysLen), checked((int)refLen), options);
    }

    /// <summary>Scores hypotheses against a single reference each.</summary>
    public static BleuScore CorpusScore(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, BleuOptions? options = null) =>
        CorpusScore(hypotheses, [references], options);

    /// <summary>Sentence BLEU as sacreBLEU's sentence_bleu: effective order on unless options say otherwise.</summary>
    public static BleuScore SentenceScore(string hypothesis, IReadOnlyList<string> references, BleuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(references);
        options ??= new BleuOptions { EffectiveOrder = true };
        var streams = new IReadOnlyList<string?>[references.Count];
        for (int i = 0; i < streams.Length; i++) streams[i] = [references[i]];
        return CorpusScore([hypothesis], streams, options);
    }

    /// <summary>BLEU from its sufficient statistics (sacreBLEU's compute_bleu).</summary>
    public static BleuScore FromStatistics(ReadOnlySpan<double> correct, ReadOnlySpan<double> total, int sysLen, int refLen, BleuOptions? options = null)
    {
        options ??= new BleuOptions();
        int order = options.MaxNgramOrder;
        if (correct.Length != order || total.Length != order)
        {
            throw new ArgumentException($"BLEU: {order} n-gram orders expected, got {correct.Length} correct and {total.Length} total counts");
        }

        double[] c = correct.ToArray(), t = total.ToArray();
        double smoothValue = options.SmoothValue ?? (options.Smoothing == BleuSmoothing.Floor ? 0.1 : 1.0);
        double bp = 1.0;
        if (sysLen < refLen) bp = sysLen > 0 ? Math.Exp(1.0 - (double)refLen / sysLen) : 0.0;

        var precisions = new double[order];
        bool anyCorrect = false;
        foreach (double v in c) anyCorrect |= v != 0;
        if (!anyCorrect) return new BleuScore(0.0, c, t, precisions, bp, sysLen, refLen);

        double smoothMteval = 1.0;
        int effectiveOrder = order;
        for (int n = 1; n <= order; n++)
        {
            if (options.Smoothing == BleuSmoothing.AddK && n > 1)
            {
                c[n - 1] += smoothValue;
                t[n - 1] += smoothValue;
            }

            if (t[n - 1] == 0) break;
            if (options.EffectiveOrder) effectiveOrder = n;

            if (c[n - 1] == 0)
            {
                if (options.Smoothing == BleuSmoothing.Exp)
                {
                    smoothMteval *= 2;
                    precisions[n - 1] = 100.0 / (smoothMteval * t[n - 1]);
                }
                else if (options.Smoothing == BleuSmoothing.Floor)
                {
                    precisions[n - 1] = 100.0 * smoothValue / t[n - 1];
                }
            }
            else
            {
                precisions[n - 1] = 100.0 * c[n - 1] / t[n - 1];
            }
        }

        double logSum = 0;
        for (int n = 0; n < effectiveOrder; n++) logSum += FlooredLog(precisions[n]);
        return new BleuScore(bp * Math.Exp(logSum / effectiveOrder), c, t, precisions, bp, sysLen, refLen);
    }

    // sacreBLEU floors log(0) at -9999999999 so that a zero precision yields exactly 0.
    private static double FlooredLog(double x) => x == 0 ? -9999999999.0 : Math.Log(x);

    private static string Preprocess(string text, BleuOptions options)
    {
        if (options.Lowercase) text = text.ToLowerInvariant();
        text = PyFormat.RStrip(text);
        return options.Tokenize == BleuTokenization.Tok13a ? BleuTokenizer13a.Tokenize(text) : text;
    }

    // N-grams of all orders keyed by their space-joined tokens; tokens never contain spaces, so
    // the order of a key is one more than its space count.
    private static Dictionary<string, int> Ngrams(string line, int maxOrder, out int length)
    {
        List<string> tokens = PyFormat.Split(line);
        length = tokens.Count;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 1; n <= maxOrder; n++)
        {
            for (int i = 0; i + n <= tokens.Count; i++)
            {
                string key = n == 1 ? tokens[i] : string.Join(' ', tokens.GetRange(i, n));
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        return counts;
    }

    private static int NgramOrder(string key)
    {
        int n = 1;
        foreach (char ch in key)
        {
            if (ch == ' ') n++;
        }

        return n;
    }

    private static int ClosestLength(int hypLen, List<int> refLens)
    {
        int bestDiff = -1, best = -1;
        foreach (int len in refLens)
        {
            int diff = Math.Abs(hypLen - len);
            if (bestDiff == -1 || diff < bestDiff)
            {
                bestDiff = diff;
                best = len;
            }
            else if (diff == bestDiff && len < best)
            {
                best = len;
            }
        }

        return best;
    }
}
