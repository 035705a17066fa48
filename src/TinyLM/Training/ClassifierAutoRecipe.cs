using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>What <see cref="ClassifierAutoRecipe.Choose"/> picked, and the held-out accuracy of every candidate.</summary>
/// <param name="Model">The bag config to train on all the training data.</param>
/// <param name="Training">Its training options.</param>
/// <param name="Candidates">(word bigrams or not, naive Bayes γ, SVM λ, held-out accuracy) of every candidate tried.</param>
public sealed record ClassifierAutoChoice(TextClassifierConfig Model, TrainOptions Training,
    IReadOnlyList<(bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy)> Candidates)
{
    /// <summary>One line for logs: the choice and its held-out accuracy.</summary>
    public string Summary
    {
        get
        {
            var best = Candidates.First(c => c.Bigrams == Model.WordBigrams && c.NaiveBayesWeight == Model.NaiveBayesWeight
                                             && c.LinearSvmWeight == Model.LinearSvmWeight);
            return $"{(Model.WordBigrams ? "word bigrams" : "words only")}, naive Bayes weight {Model.NaiveBayesWeight:0.##}, " +
                   $"SVM weight {Model.LinearSvmWeight:0.##} " +
                   $"(held-out accuracy {best.Accuracy * 100:F2}% of {Candidates.Count} candidates)";
        }
    }
}

/// <summary>
/// The default text classifier recipe: the bag model, with the two choices that matter most decided per data
/// set on a stratified hold-out carved from the training data (never the test data): exact word bigrams or
/// not, how much naive Bayes and how much of a tf-idf linear SVM to mix in. Measured (docs/benchmarks.md as of 9a96bbc): short
/// sentiment sentences (MR) want bigrams and naive Bayes, long news articles (R8) the SVM. Costs two half-length
/// candidate bag trainings, the final one (none when the SVM alone is chosen) and three SVM fits in all.
/// </summary>
public static class ClassifierAutoRecipe
{
    /// <summary>
    /// Epochs each candidate bag trains (at most the recipe's own): the choice needs only how the mixtures rank on held-out
    /// texts, not a finished network. Half the default recipe's 6 kept the test accuracy of the default (seeds 1–6: R8 97.78 →
    /// 97.84 %, MR 77.81 → 77.79 % mean) and halves the candidates' training time; 2 lost 0.17 points on MR (seeds 1–3).
    /// </summary>
    public const int CandidateEpochs = 3;

    /// <summary>Naive Bayes weights tried on each candidate.</summary>
    public static IReadOnlyList<float> NaiveBayesWeights { get; } = [0f, 0.25f, 0.5f, 0.75f];

    /// <summary>SVM weights tried with each naive Bayes weight.</summary>
    public static IReadOnlyList<float> LinearSvmWeights { get; } = [0f, 0.25f, 0.5f, 0.75f, 1f];

    /// <summary>
    /// Trains a unigram and a bigram bag on (1 − <paramref name="holdOut"/>) of <paramref name="train"/> with
    /// <paramref name="options"/> for at most <see cref="CandidateEpochs"/> epochs (each with its SVM), scores each with every naive Bayes and SVM weight on the rest,
    /// and returns the best (a bigram bag without SVM only when it wins by more than a standard error; ties go to
    /// less SVM, then less naive Bayes).
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
        var candidates = new List<(bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy)>();
        foreach (bool bigrams in new[] { false, true })
        {
            cancel.ThrowIfCancellationRequested();
            // Both heads are built (any non-zero weight) so that one training serves every mixture below.
            var model = TextClassifier.Create(config with { WordBigrams = bigrams, BigramBuckets = 0, NaiveBayesWeight = 0.5f, LinearSvmWeight = 0.5f }, fit.Examples);
            new ClassifierTrainer(model, options with { Patience = 0, Epochs = Math.Min(options.Epochs, CandidateEpochs) }).Fit(fit, cancel: cancel);
            candidates.AddRange(HeldOutAccuracies(model, valid, bigrams));
        }
        var words = Best(candidates, bigrams: false, svm: null);
        var bigramBag = Best(candidates, bigrams: true, svm: false);
        var bigramSvm = Best(candidates, bigrams: true, svm: true);
        // A bigram bag alone is several times larger and slower than the words' and gained nothing on long news
        // articles: take it only when it wins by more than one standard error of the held-out accuracy. The SVM
        // is what makes bigrams pay on long texts (tf-idf + LinearSVC), so with it the better accuracy wins.
        double standardError = Math.Sqrt(words.Accuracy * (1 - words.Accuracy) / valid.Count);
        var best = words;
        if (bigramSvm.Accuracy > words.Accuracy && bigramSvm.Accuracy >= bigramBag.Accuracy) best = bigramSvm;
        else if (bigramBag.Accuracy - words.Accuracy > standardError) best = bigramBag;
        return new ClassifierAutoChoice(config with
        {
            WordBigrams = best.Bigrams, BigramBuckets = 0, NaiveBayesWeight = best.NaiveBayesWeight, LinearSvmWeight = best.LinearSvmWeight,
            // When the SVM alone decides (λ = 1) the mixture multiplies the network by 0 and inference skips it, so the model is
            // the SVM only: no table to carry (a 64-wide one was 51 MB of R8's 57 MB file) and none to train. The SVM,
            // fitted from the ids alone, and so every prediction, are the same as with a network.
            SvmOnly = best.LinearSvmWeight == 1f,
        }, options, candidates);
    }

    // The most accurate candidate of one kind (svm: null = any λ, false = λ = 0, true = λ > 0); ties go to the
    // earlier one, i.e. less SVM, then less naive Bayes (candidates come in that order).
    private static (bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy) Best(
        List<(bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy)> candidates, bool bigrams, bool? svm)
    {
        (bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy) best = (bigrams, 0f, 0f, -1);
        foreach (var c in candidates)
            if (c.Bigrams == bigrams && (svm is null || (c.LinearSvmWeight > 0f) == svm) && c.Accuracy > best.Accuracy) best = c;
        return best;
    }

    // Accuracy on the held-out texts for every (λ, γ) pair, λ outer, from one pass of the network and the heads.
    private static List<(bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy)> HeldOutAccuracies(
        TextClassifier model, TextDataset valid, bool bigrams)
    {
        var truth = ClassifierEvaluation.TrueLabels(model.Labels, valid);
        var ids = model.Inputs.EncodeAll(valid.Examples.Select(e => e.Text).ToArray());
        int c = model.Labels.Count, nbCount = NaiveBayesWeights.Count;
        var correct = new int[LinearSvmWeights.Count * nbCount];
        model.Eval();
        using (Tensor.NoGrad())
        {
            foreach (var indices in Batching.Sequential(ids.Length, 64))
            {
                using var scope = new TensorScope();
                var batch = Batching.Pad(ids, indices);
                var network = model.Forward(batch).Contiguous().ToArray(); // (B, C)
                var naiveBayes = model.NaiveBayes!.LogPosterior(batch);            // (B, C)
                var svm = model.LinearSvm!.Scores(batch);                          // (B, C)
                for (int w = 0; w < correct.Length; w++)
                {
                    var mixed = (float[])network.Clone();
                    NaiveBayesHead.Mix(mixed, naiveBayes, c, NaiveBayesWeights[w % nbCount]);
                    LinearSvmHead.Mix(mixed, svm, c, LinearSvmWeights[w / nbCount]);
                    for (int i = 0; i < indices.Length; i++)
                        if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(mixed.AsSpan(i * c, c)) == truth[indices[i]]) correct[w]++;
                }
            }
        }
        model.Train();
        var result = new List<(bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy)>();
        for (int w = 0; w < correct.Length; w++)
        {
            float svmWeight = LinearSvmWeights[w / nbCount];
            // With the SVM alone (λ = 1) the naive Bayes weight changes nothing: list that candidate once.
            if (svmWeight == 1f && w % nbCount != 0) continue;
            result.Add((bigrams, NaiveBayesWeights[w % nbCount], svmWeight, (double)correct[w] / ids.Length));
        }
        return result;
    }
}
