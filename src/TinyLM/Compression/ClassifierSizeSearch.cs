using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Compression;

/// <summary>How the SVM head's weight table is stored in a candidate: its levels either side of 0 and where its scales sit.</summary>
/// <param name="Name">As the trade-off table prints it: int8 or 4-bit, then where the scales sit (one per row or per class).</param>
/// <param name="Levels">127 (int8) or 7 (a 4-bit code).</param>
/// <param name="ScalePerClass">One scale per class column (else one per row).</param>
public sealed record SvmTablePrecision(string Name, int Levels, bool ScalePerClass)
{
    /// <summary>The precisions the search tries, largest first.</summary>
    public static readonly IReadOnlyList<SvmTablePrecision> All =
    [
        new("int8/row", Int8Table.MaxLevels, false),
        new("int8/class", Int8Table.MaxLevels, true),
        new("4-bit/row", 7, false),
        new("4-bit/class", 7, true),
    ];
}

/// <summary>One measured candidate of the search.</summary>
/// <param name="Features">Vocabulary entries kept (words and bigrams).</param>
/// <param name="Table">Storage of the SVM weight table.</param>
/// <param name="Bytes">File size of the candidate (the model refitted on all the training data), as saved.</param>
/// <param name="HeldOutAccuracy">Accuracy on the held-out training slice of the same candidate fitted without it; null when over budget (not evaluated).</param>
/// <param name="Chosen">Whether this is the model the search returns.</param>
public sealed record SizeCandidate(int Features, string Table, long Bytes, double? HeldOutAccuracy, bool Chosen);

/// <summary>What <see cref="ClassifierSizeSearch.Search"/> does.</summary>
public sealed record SizeSearchOptions
{
    /// <summary>Largest file the result may take, in bytes.</summary>
    public required long MaxBytes { get; init; }
    /// <summary>Share of the training texts held out to judge candidates (stratified), never the test split.</summary>
    public double HeldOutFraction { get; init; } = 0.2;
    /// <summary>Fewest vocabulary entries a candidate keeps; the ladder grows by √2 from here to all of them.</summary>
    public int MinFeatures { get; init; } = 250;
}

/// <summary>The search's result: the chosen quantized model (a new object; the input is untouched) and every candidate measured.</summary>
/// <param name="Quantized">The chosen candidate, refitted on all the training texts, and its quantization report.</param>
/// <param name="Candidates">Every candidate, by features then table precision.</param>
/// <param name="HeldOutFloatAccuracy">Held-out accuracy of the float32 SVM on every feature (the reference the table compares with).</param>
/// <param name="AllFeatures">Vocabulary entries with a non-zero weight in that reference.</param>
public sealed record SizeSearchResult(QuantizationResult Quantized, IReadOnlyList<SizeCandidate> Candidates, double HeldOutFloatAccuracy, int AllFeatures);

/// <summary>Thrown when not even the smallest candidate fits the byte budget.</summary>
public sealed class BudgetTooSmallException(string message) : InvalidOperationException(message);

/// <summary>
/// Finds the most accurate quantized SVM-alone classifier that fits a byte budget, starting from a classifier with a tf-idf
/// SVM head (alone or mixed with a network, which every candidate drops): candidates are (features kept ×
/// SVM table precision). Features are ranked once, by an SVM fitted on the training texts less a stratified held-out
/// slice (<see cref="SvmFeatureSelection"/>). For each feature count, smallest first, the SVM is refitted on all the
/// training texts and every precision is quantized and measured by <c>fileBytes</c> (the caller saves it); when one fits
/// the budget, the same candidate is refitted without the held-out slice and scored on it. The ladder stops at the
/// first feature count where no precision fits. The most accurate candidate under the budget wins (ties: the smaller
/// file). The test split is never seen.
/// </summary>
public static class ClassifierSizeSearch
{
    public static SizeSearchResult Search(TextClassifier model, IReadOnlyList<TextExample> training, SizeSearchOptions options,
        Func<TextClassifier, long> fileBytes, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fileBytes);
        if (SvmFeatureSelection.Unsupported(model) is { } why) throw new ArgumentException($"--max-bytes: {why}.");
        if (options.MaxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"--max-bytes must be > 0, got {options.MaxBytes}.");
        if (training.Count < 2) throw new ArgumentException($"--max-bytes: {training.Count} training texts; the search needs some to fit on and some to hold out.");
        var labels = new int[training.Count];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = model.Labels.TryGetIndex(training[i].Label, out int k) ? k
                : throw new ArgumentException($"--max-bytes: training text {i + 1} (line {training[i].Line}) has label '{training[i].Label}', which the model does not know.");
        var ids = model.Inputs.EncodeAll([.. training.Select(e => e.Text)]);
        var (fitPart, heldOut) = DataSplits.StratifiedSplit(labels, options.HeldOutFraction, model.Config.Seed);
        var all = Enumerable.Range(0, training.Count).ToArray();
        int rows = model.Inputs.EmbeddingRows, firstWord = SvmFeatureSelection.FirstWordId(model.Words!);

        // The ranking and the float reference come from an SVM that never saw the held-out slice.
        var identity = Enumerable.Range(0, rows).Select(id => id >= firstWord ? id : -1).ToArray();
        var reference = new LinearSvmHead(rows, model.Labels.Count);
        LinearSvmFitter.Fit(reference, SvmFeatureSelection.Apply(identity, ids, fitPart), Pick(labels, fitPart), seed: model.Config.Seed);
        double floatAccuracy = SvmFeatureSelection.Accuracy(reference, SvmFeatureSelection.Apply(identity, ids, heldOut), Pick(labels, heldOut));
        var ranking = SvmFeatureSelection.Ranking(SvmFeatureSelection.Importance(reference), firstWord);
        if (ranking.Length == 0) throw new ArgumentException("--max-bytes: the SVM fitted on the training texts has no non-zero weight.");
        progress?.Invoke($"held-out float32 accuracy with all {ranking.Length:N0} features: {100 * floatAccuracy:F2} %");

        var candidates = new List<SizeCandidate>();
        QuantizationResult? best = null;
        int bestIndex = -1;
        foreach (int count in Ladder(options.MinFeatures, ranking.Length))
        {
            var kept = SvmFeatureSelection.OrderByFrequency(ranking[..count], ids, rows);
            var map = SvmFeatureSelection.Remap(kept, rows, firstWord);
            var full = SvmFeatureSelection.Refit(model, kept, SvmFeatureSelection.Apply(map, ids, all), labels);
            var quantized = SvmTablePrecision.All.Select(p => (Precision: p, Model: Quantize(full, p))).ToList();
            var bytes = quantized.Select(q => fileBytes(q.Model.Model)).ToList();
            bool anyFits = bytes.Any(b => b <= options.MaxBytes);
            double[] accuracy = [.. quantized.Select(_ => double.NaN)];
            if (anyFits)
            {
                var partial = SvmFeatureSelection.Refit(model, kept, SvmFeatureSelection.Apply(map, ids, fitPart), Pick(labels, fitPart));
                var heldIds = SvmFeatureSelection.Apply(map, ids, heldOut);
                for (int p = 0; p < quantized.Count; p++)
                    if (bytes[p] <= options.MaxBytes)
                        accuracy[p] = SvmFeatureSelection.Accuracy(Quantize(partial, quantized[p].Precision).Model.LinearSvm!, heldIds, Pick(labels, heldOut));
            }
            for (int p = 0; p < quantized.Count; p++)
            {
                candidates.Add(new SizeCandidate(count, quantized[p].Precision.Name, bytes[p], double.IsNaN(accuracy[p]) ? null : accuracy[p], false));
                if (double.IsNaN(accuracy[p])) continue;
                var current = candidates[^1];
                var leader = bestIndex < 0 ? null : candidates[bestIndex];
                if (leader is null || current.HeldOutAccuracy > leader.HeldOutAccuracy
                    || (current.HeldOutAccuracy == leader.HeldOutAccuracy && current.Bytes < leader.Bytes))
                {
                    bestIndex = candidates.Count - 1;
                    best = quantized[p].Model;
                }
            }
            progress?.Invoke($"{count:N0} features: {string.Join(", ", bytes.Select((b, p) => $"{b:N0} B{(double.IsNaN(accuracy[p]) ? "" : $" {100 * accuracy[p]:F2} %")}"))}");
            if (!anyFits) break;
        }
        if (best is null)
        {
            var smallest = candidates.MinBy(c => c.Bytes)!;
            throw new BudgetTooSmallException($"--max-bytes {options.MaxBytes:N0}: no candidate fits; the smallest is {smallest.Bytes:N0} bytes " +
                $"({smallest.Features:N0} features, {smallest.Table}).");
        }
        candidates[bestIndex] = candidates[bestIndex] with { Chosen = true };
        return new SizeSearchResult(best, candidates, floatAccuracy, ranking.Length);
    }

    /// <summary>Feature counts from <paramref name="min"/> up by √2, ending with all of them.</summary>
    public static IReadOnlyList<int> Ladder(int min, int all)
    {
        var result = new List<int>();
        for (double k = Math.Max(1, min); k < all; k *= Math.Sqrt(2)) result.Add((int)Math.Round(k));
        result.Add(all);
        return result;
    }

    private static QuantizationResult Quantize(TextClassifier model, SvmTablePrecision precision) =>
        ClassifierQuantizer.Quantize(model, new QuantizationOptions
        {
            // Candidates are judged by held-out accuracy, not by the per-layer error threshold.
            MaxLayerError = double.PositiveInfinity,
            SvmLevels = precision.Levels,
            SvmScalePerClass = precision.ScalePerClass,
        });

    private static int[] Pick(int[] values, int[] which) => [.. which.Select(i => values[i])];
}
