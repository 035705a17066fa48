using System.Globalization;
using TinyLM.Models;

namespace TinyLM.Training.Tuning;

/// <summary>One point of the search space: a model config and its training options at full length (the last rung's epochs).</summary>
public sealed record TuneCandidate(int Index, TextClassifierConfig Model, TrainOptions Training)
{
    /// <summary>A short description of what differs between candidates, e.g. "bag embed 16 vocab 10000 lr 0.03 bigrams nb 0.5".</summary>
    public string Describe()
    {
        var m = Model;
        string lr = Training.LearningRate.ToString("0.####", CultureInfo.InvariantCulture);
        if (m.SvmOnly) return $"svm alone vocab {m.VocabSize}{(m.WordBigrams ? " bigrams" : "")}";
        return m.Encoder switch
        {
            EncoderKind.Bag => $"bag embed {m.EmbedDim} vocab {m.VocabSize} lr {lr}{(m.WordBigrams ? " bigrams" : "")}" +
                               (m.NaiveBayesWeight > 0 ? $" nb {m.NaiveBayesWeight.ToString(CultureInfo.InvariantCulture)}" : "") +
                               (m.LinearSvmWeight > 0 ? $" svm {m.LinearSvmWeight.ToString(CultureInfo.InvariantCulture)}" : ""),
            _ => $"{m.Encoder.ToString().ToLowerInvariant()} embed {m.EmbedDim} hidden {m.Hidden} lr {lr}",
        };
    }
}

/// <summary>
/// The space <see cref="ClassifierTuner"/> searches: the bag (fastText) and CNN recipes of <see cref="ClassifierRecipes"/>
/// varied in embedding width, vocabulary cap, learning rate, word bigrams and the naive Bayes and tf-idf SVM mixtures (bag),
/// the tf-idf SVM alone (vocabulary cap, bigrams), and
/// filters (CNN). Epochs are the halving's resource, not drawn.
/// </summary>
public static class TuneSpace
{
    private static readonly int[] BagEmbed = [8, 16, 32, 64];
    private static readonly int[] BagVocab = [2_000, 10_000, 50_000];
    private static readonly float[] LrScale = [0.5f, 1f, 2f];
    private static readonly int[] CnnEmbed = [32, 64];
    private static readonly int[] CnnFilters = [50, 100];

    /// <summary>Every point of the space, the two recipes' defaults first.</summary>
    public static List<(TextClassifierConfig Model, TrainOptions Training)> All()
    {
        var (bag, bagTraining) = ClassifierRecipes.For(EncoderKind.Bag);
        var (cnn, cnnTraining) = ClassifierRecipes.For(EncoderKind.Cnn);
        var points = new List<(TextClassifierConfig, TrainOptions)> { (bag, bagTraining), (cnn, cnnTraining) };
        foreach (int embed in BagEmbed)
        foreach (int vocab in BagVocab)
        foreach (float lr in LrScale)
        foreach (bool bigrams in (bool[])[false, true])
        foreach (float nb in (float[])[0f, 0.5f])
        foreach (float svm in (float[])[0f, 0.5f])
            points.Add((bag with { EmbedDim = embed, VocabSize = vocab, WordBigrams = bigrams, NaiveBayesWeight = nb, LinearSvmWeight = svm },
                bagTraining with { LearningRate = bagTraining.LearningRate * lr }));
        // The tf-idf SVM alone (no network: embedding width and learning rate mean nothing), the default recipe's usual choice.
        foreach (int vocab in BagVocab)
        foreach (bool bigrams in (bool[])[false, true])
            points.Add((bag with { SvmOnly = true, LinearSvmWeight = 1f, NaiveBayesWeight = 0f, VocabSize = vocab, WordBigrams = bigrams }, bagTraining));
        foreach (int embed in CnnEmbed)
        foreach (int filters in CnnFilters)
        foreach (float lr in LrScale)
            points.Add((cnn with { EmbedDim = embed, Hidden = filters }, cnnTraining with { LearningRate = cnnTraining.LearningRate * lr }));
        // The defaults appear again in the grid; keep their first place only.
        var seen = new HashSet<(TextClassifierConfig, TrainOptions)>();
        return points.Where(seen.Add).ToList();
    }

    /// <summary>
    /// <paramref name="count"/> distinct candidates: the recipes' defaults, then a seeded draw without replacement from the rest.
    /// Each candidate's weights and batch order take <paramref name="seed"/>.
    /// </summary>
    public static IReadOnlyList<TuneCandidate> Draw(int count, ulong seed)
    {
        var points = All();
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        for (int i = points.Count - 1; i > 2; i--) // Fisher–Yates over everything after the two defaults
        {
            int j = 2 + rng.Next(i - 1);
            (points[i], points[j]) = (points[j], points[i]);
        }
        return points.Take(Math.Min(count, points.Count))
            .Select((p, i) => new TuneCandidate(i, p.Model with { Seed = seed }, p.Training with { Seed = seed }))
            .ToList();
    }
}
