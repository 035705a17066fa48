using System.Text.Json.Serialization;
using TinyLM.Compression;

namespace TinyLM.Cli.Compress;

/// <summary>
/// One model's figures in the --json line of quantize, prune and distill (<c>before</c>, <c>after</c>, <c>teacher</c>,
/// <c>baseline</c>). Classifiers and language models share the fields; a figure the model kind or the run lacks is
/// written as null rather than left out, so every object has the same keys. Values are rounded as the tables show them.
/// </summary>
public sealed record MeasurementOutput(
    long Bytes,
    long Parameters,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Accuracy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? ValLoss,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? DecodeTokensPerSecond,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? LatencyMsBatch1,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? ThroughputBatch64)
{
    public static MeasurementOutput From(ClassifierMeasurement m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m.Bytes, m.Parameters, Round(m.Accuracy), null, null, Round(m.LatencyMsBatch1), Round(m.ThroughputBatch64));
    }

    public static MeasurementOutput From(CausalLMMeasurement m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m.Bytes, m.Parameters, null, Round(m.ValLoss), Math.Round(m.DecodeTokensPerSecond, 3), Round(m.LatencyMsBatch1),
            Round(m.ThroughputBatch64));
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 6) : null;
}
