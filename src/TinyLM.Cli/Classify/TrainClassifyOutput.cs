namespace TinyLM.Cli.Classify;

/// <summary>The --json line of <c>tinylm train classify</c>. The three scores are absent without --test/--valid data.</summary>
public sealed record TrainClassifyOutput(
    double? Accuracy, double? MacroF1, double? WeightedF1,
    double TrainSeconds, double RecipeSeconds, double TokensPerSecond, int Epochs, long Parameters, long ModelBytes,
    long PeakMemoryBytes, string Encoder, bool WordBigrams, int BigramBuckets, float NaiveBayesWeight, float SvmWeight, string Model);
