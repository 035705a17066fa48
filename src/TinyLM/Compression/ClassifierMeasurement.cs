using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Compression;

/// <summary>
/// What compressing a classifier costs and saves, for one model (before or after), measured on the same data: the
/// figures every compression (quantize, prune, distill) reports, so that they compare across methods.
/// </summary>
/// <param name="Bytes">Model file size.</param>
/// <param name="Parameters">Parameter count (a quantized weight still counts each value once).</param>
/// <param name="Accuracy">Accuracy on the evaluation file, or null without one.</param>
/// <param name="LatencyMsBatch1">Mean milliseconds per text when texts are classified one at a time.</param>
/// <param name="ThroughputBatch64">Texts per second in batches of 64.</param>
public sealed record ClassifierMeasurement(long Bytes, long Parameters, double? Accuracy, double? LatencyMsBatch1, double? ThroughputBatch64)
{
    /// <summary>Texts timed one by one (after a warm-up), enough for a stable mean on a shared 2-core machine.</summary>
    private const int LatencyTexts = 300;

    /// <summary>Batch-1 calls before timing run for at least this long.</summary>
    private const int WarmUpMilliseconds = 1000;

    public static ClassifierMeasurement Measure(TextClassifier model, string file, TextDataset? eval)
    {
        ArgumentNullException.ThrowIfNull(model);
        long parameters = model.Parameters().Sum(p => (long)p.Length);
        long bytes = new FileInfo(file).Length;
        if (eval is null || eval.Count == 0) return new(bytes, parameters, null, null, null);
        double accuracy = model.Evaluate(eval).Accuracy;
        var (latency, throughput) = Time(model, eval);
        return new(bytes, parameters, accuracy, latency, throughput);
    }

    /// <summary>
    /// Measures a model before and after compression, then times both once more in the same order and keeps each
    /// one's faster timings: the first model timed also pays the JIT's tier-up and a busy neighbour's load, which
    /// would otherwise decide the ratio. Accuracy is deterministic, so it is evaluated once per model.
    /// </summary>
    public static (ClassifierMeasurement Before, ClassifierMeasurement After) MeasurePair(
        TextClassifier before, string beforeFile, TextClassifier after, string afterFile, TextDataset? eval)
    {
        var first = Measure(before, beforeFile, eval);
        var second = Measure(after, afterFile, eval);
        if (eval is null || eval.Count == 0) return (first, second);
        return (first.Best(Time(before, eval)), second.Best(Time(after, eval)));
    }

    // Mean batch-1 latency (ms per text) over the first texts after a warm-up, and batch-64 throughput (texts/s).
    private static (double LatencyMs, double Throughput) Time(TextClassifier model, TextDataset eval)
    {
        var texts = eval.Examples.Select(e => e.Text).ToArray();
        var sample = texts.Take(LatencyTexts).ToArray();
        // Tiered compilation optimises a method only after ~30 calls and a 100 ms delay, in the background: a model
        // that answers in tens of microseconds would be timed on unoptimised code after a fixed count of calls.
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 100 || watch.ElapsedMilliseconds < WarmUpMilliseconds; i++) model.PredictProbabilities([sample[i % sample.Length]], 1);
        watch.Restart();
        foreach (var text in sample) model.PredictProbabilities([text], 1);
        double latency = watch.Elapsed.TotalMilliseconds / sample.Length;

        model.PredictProbabilities(sample, 64);
        watch.Restart();
        model.PredictProbabilities(texts, 64);
        return (latency, texts.Length / watch.Elapsed.TotalSeconds);
    }

    // The faster of this measurement's timings and another timing of the same model (shorter latency, higher throughput).
    private ClassifierMeasurement Best((double LatencyMs, double Throughput) other) => this with
    {
        LatencyMsBatch1 = LatencyMsBatch1 is { } a ? Math.Min(a, other.LatencyMs) : LatencyMsBatch1,
        ThroughputBatch64 = ThroughputBatch64 is { } c ? Math.Max(c, other.Throughput) : ThroughputBatch64,
    };
}
