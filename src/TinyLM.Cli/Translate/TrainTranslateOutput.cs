namespace TinyLM.Cli.Translate;

/// <summary>The --json line of <c>tinylm train translate</c>; the validation scores are absent without validation data.</summary>
public sealed record TrainTranslateOutput(
    double? ValidBleu, double? ValidChrf, double? ValidLoss, double TrainLoss, double TrainSeconds, double TokensPerSecond,
    double TrainCpuSeconds, int Epochs, int Steps, int BestEpoch, long Parameters, long ModelBytes, int Beam, double DecodeSeconds,
    long PeakMemoryBytes, string Arch, string Model);
