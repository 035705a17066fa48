namespace TinyLM.Cli.Compress;

/// <summary>
/// The --json line of <c>tinylm quantize</c>, for a classifier (<c>kind</c> = classifier) or a language model
/// (causal_lm); <see cref="DecodeSpeedup"/> is a language model's only.
/// </summary>
public sealed record QuantizeOutput(
    string Kind, string Type, string Out, int Threads, MeasurementOutput Before, MeasurementOutput After, double? DecodeSpeedup,
    IReadOnlyList<QuantizedLayerOutput> Layers, IReadOnlyList<SizeCandidateOutput>? SizeSearch = null);

/// <summary>One candidate of <c>quantize --max-bytes</c> (<see cref="QuantizeOutput.SizeSearch"/>).</summary>
public sealed record SizeCandidateOutput(int Features, string Table, long Bytes, double? HeldOutAccuracy, bool Chosen);

/// <summary>One weight of <see cref="QuantizeOutput"/>: its storage and why; error and agreement where measured.</summary>
public sealed record QuantizedLayerOutput(string Name, string Format, double? Error, double? Agreement, string Reason);

/// <summary>The --json line of <c>tinylm prune</c>.</summary>
public sealed record PruneOutput(
    string Pruning, double Sparsity, string Out, MeasurementOutput Before, MeasurementOutput After, IReadOnlyList<PrunedLayerOutput> Layers);

/// <summary>One parameter of <see cref="PruneOutput"/>: its shape before and after (e.g. "64x100") and its share of zeros.</summary>
public sealed record PrunedLayerOutput(string Name, string Before, string After, double Sparsity);

/// <summary>
/// The --json line of <c>tinylm distill</c>. <c>teacher</c> and <c>before</c> are the same figures (before is the
/// name quantize and prune use). Fields of one kind only: student_encoder, epochs, labeled/unlabeled_texts,
/// accuracy_retained (classifier); top_k, steps, windows, cache_bytes, baseline_train_seconds (causal_lm).
/// </summary>
public sealed record DistillOutput
{
    public required string TeacherModel { get; init; }
    public required string Out { get; init; }
    public required string Kind { get; init; }
    public string? StudentEncoder { get; init; }
    public required float Temperature { get; init; }
    public required float Alpha { get; init; }
    public int? Epochs { get; init; }
    public int? LabeledTexts { get; init; }
    public int? UnlabeledTexts { get; init; }
    public int? TopK { get; init; }
    public int? Steps { get; init; }
    public long? Windows { get; init; }
    public long? CacheBytes { get; init; }
    public required double TeacherSeconds { get; init; }
    public required double TrainSeconds { get; init; }
    public double? BaselineTrainSeconds { get; init; }
    public required int Threads { get; init; }
    public required double ParameterRatio { get; init; }
    public double? AccuracyRetained { get; init; }
    public required MeasurementOutput Teacher { get; init; }
    public required MeasurementOutput Before { get; init; }
    public required MeasurementOutput After { get; init; }
    public MeasurementOutput? Baseline { get; init; }
}
