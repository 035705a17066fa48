using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>What <see cref="ClassifierAutoRecipe.Choose"/> picked, and the held-out accuracy of every candidate.</summary>
/// <param name="Model">The bag config to train on all the training data.</param>
/// <param name="Training">Its training options.</param>
/// <param name="Candidates">(word bigrams or not, naive Bayes γ, held-out accuracy) of every candidate tried.</param>
public sealed record ClassifierAutoChoice(TextClassifierConfig Model, TrainOptions Training,
    IReadOnlyList<(bool Bigrams, float NaiveBayesWeight, double Accuracy)> Candidates)
{
    /// <summary>One line for logs: the choice and its held-out accuracy.</summary>
    public string Summary
    {
        get
        {
            var best = Candidates.First(c => c.Bigrams == Model.WordBigrams && c.NaiveBayesWeight == Model.NaiveBayesWeight);
            return $"{(Model.WordBigrams ? "word bigrams" : "words only")}, naive Bayes weight {Model.NaiveBayesWeight:0.##} " +
                   $"(held-out accuracy {best.Accuracy * 100:F2}% of {Candidates.Count} candidates)";
        }
    }
}

/// <summary>
/// The default text classifier recipe: the bag model, with the two choices that matter most decided per data
/// set on a stratified hold-out carved from the training data (never the test data): hashed word bigrams or
/// not, and how much naive Bayes to mix in. Measured (docs/benchmarks.md): short sentiment sentences (MR) want
/// both (+2.5 points), long news articles (R8) want neither. Costs about three bag trainings in all.
/// </summary>
public static class ClassifierAutoRecipe
{
    /// <summary>Naive Bayes weights tried on each candidate.</summary>
    public static IReadOnlyList<float> NaiveBayesWeights { get; } = [0f, 0.25f, 0.5f, 0.75f];

    /// <summary>
    /// Trains a unigram and a bigram bag on (1 − <paramref name="holdOut"/>) of <paramref name="train"/> with
    /// <paramref name="options"/>, scores each with every naive Bayes weight on the rest, and returns the best
    /// (bigrams only when they win by more than a standard error; ties go to less naive Bayes).
    /// </summary>
    public static ClassifierAutoChoice Choose(TextDataset train, TextClassifierConfig config, TrainOptions options,
        double holdOut = 0.2, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        if (config.Encoder != EncoderKind.Bag) throw new ArgumentException($"ClassifierAutoRecipe: only the bag encoder is tuned, got {config.Encoder}.");
        var (fit, valid) = ClassifierData.HoldOut(train, holdOut, options.Seed);
        if (fit.Count == 0 || valid.Count == 0)
            throw new ArgumentException($"{train.Source}: {train.Count} training texts are too few to hold out {holdOut:P0} for choosing the recipe.");
        var candidates = new List<(bool Bigrams, float NaiveBayesWeight, double Accuracy)>();
        foreach (bool bigrams in new[] { false, true })
        {
            cancel.ThrowIfCancellationRequested();
            var model = TextClassifier.Create(config with { WordBigrams = bigrams, BigramBuckets = 0, NaiveBayesWeight = 0.5f }, fit.Examples);
            new ClassifierTrainer(model, options with { Patience = 0 }).Fit(fit, cancel: cancel);
            var accuracies = HeldOutAccuracies(model, valid);
            for (int i = 0; i < accuracies.Length; i++) candidates.Add((bigrams, NaiveBayesWeights[i], accuracies[i]));
        }
        var words = Best(candidates, bigrams: false);
        var withBigrams = Best(candidates, bigrams: true);
        // The bigram vocabulary is several times larger and slower: take it only when it wins by more than one
        // standard error of the held-out accuracy (long news articles gain nothing from it; sentiment does).
        double standardError = Math.Sqrt(words.Accuracy * (1 - words.Accuracy) / valid.Count);
        var best = withBigrams.Accuracy - words.Accuracy > standardError ? withBigrams : words;
        return new ClassifierAutoChoice(config with { WordBigrams = best.Bigrams, BigramBuckets = 0, NaiveBayesWeight = best.NaiveBayesWeight }, options, candidates);
    }

    // The most accurate candidate of one kind; ties go to less naive Bayes (candidates come in ascending weight).
    private static (bool Bigrams, float NaiveBayesWeight, double Accuracy) Best(
        List<(bool Bigrams, float NaiveBayesWeight, double Accuracy)> candidates, bool bigrams)
    {
        var best = candidates.First(c => c.Bigrams == bigrams);
        foreach (var c in candidates)
            if (c.Bigrams == bigrams && c.Accuracy > best.Accuracy) best = c;
        return best;
    }

    // Accuracy on the held-out texts for every weight in NaiveBayesWeights, from one pass of the network and the head.
    private static double[] HeldOutAccuracies(TextClassifier model, TextDataset valid)
    {
        var truth = ClassifierEvaluation.TrueLabels(model.Labels, valid);
        var ids = model.Inputs.EncodeAll(valid.Examples.Select(e => e.Text).ToArray());
        int c = model.Labels.Count;
        var correct = new int[NaiveBayesWeights.Count];
        model.Eval();
        using (Tensor.NoGrad())
        {
            foreach (var indices in Batching.Sequential(ids.Length, 64))
            {
                using var scope = new TensorScope();
                var batch = Batching.Pad(ids, indices);
                var network = model.ForwardNetwork(batch).Contiguous().ToArray(); // (B, C)
                var naiveBayes = model.NaiveBayes!.LogPosterior(batch);            // (B, C)
                for (int w = 0; w < correct.Length; w++)
                {
                    var mixed = (float[])network.Clone();
                    NaiveBayesHead.Mix(mixed, naiveBayes, c, NaiveBayesWeights[w]);
                    for (int i = 0; i < indices.Length; i++)
                        if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(mixed.AsSpan(i * c, c)) == truth[indices[i]]) correct[w]++;
                }
            }
        }
        model.Train();
        var result = new double[correct.Length];
        for (int w = 0; w < result.Length; w++) result[w] = (double)correct[w] / ids.Length;
        return result;
    }
}
