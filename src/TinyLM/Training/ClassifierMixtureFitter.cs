using TinyLM.Models;

namespace TinyLM.Training;

/// <summary>Fits the heads of a <see cref="ClassifierMixture"/>; the network is trained by <see cref="ClassifierTrainer"/>.</summary>
public static class ClassifierMixtureFitter
{
    /// <summary>
    /// Fits the naive Bayes head by counting and the linear SVM head by dual coordinate descent (<paramref name="seed"/>
    /// orders its passes) on the training ids and single labels; a mixture without heads is left as it is.
    /// </summary>
    public static void FitHeads(this ClassifierMixture mixture, IReadOnlyList<int[]> ids, IReadOnlyList<int> labels, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        mixture.NaiveBayes?.Fit(ids, labels);
        if (mixture.LinearSvm is { } svm) LinearSvmFitter.Fit(svm, ids, labels, seed: seed);
    }
}
