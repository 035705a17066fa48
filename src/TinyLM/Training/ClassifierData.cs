using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>Splits of labelled text data used by the classifier trainer.</summary>
public static class ClassifierData
{
    /// <summary>A stratified, seeded hold-out: (the rest, the held-out fraction).</summary>
    public static (TextDataset Train, TextDataset Validation) HoldOut(TextDataset data, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var labels = LabelMap.FromExamples(data.Examples).Encode(data.Examples);
        var (trainIdx, validIdx) = DataSplits.StratifiedSplit(labels, fraction, seed);
        return (Subset(data, trainIdx), Subset(data, validIdx));
    }

    private static TextDataset Subset(TextDataset data, int[] indices) =>
        new(data.Source, Array.ConvertAll(indices, i => data.Examples[i]), data.SkippedLines);
}
