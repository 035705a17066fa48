using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Compress;

/// <summary>What a compression command reports for one model (before or after), measured on the same data.</summary>
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

    public void Write(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteNumber("bytes", Bytes);
        w.WriteNumber("parameters", Parameters);
        WriteOptional(w, "accuracy", Accuracy);
        WriteOptional(w, "latency_ms_batch1", LatencyMsBatch1);
        WriteOptional(w, "throughput_batch64", ThroughputBatch64);
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v) w.WriteNumber(name, Math.Round(v, 6));
        else w.WriteNull(name);
    }

    /// <summary>The before/after table every compression command ends with.</summary>
    public static void PrintComparison(ClassifierMeasurement before, ClassifierMeasurement after, string beforeName, string afterName)
    {
        var table = new Table().Title("Before / after (same evaluation file, same run)");
        table.AddColumns("", Markup.Escape(beforeName), Markup.Escape(afterName), "ratio");
        table.AddRow("file bytes", $"{before.Bytes:N0}", $"{after.Bytes:N0}", $"{(double)before.Bytes / after.Bytes:F2}× smaller");
        table.AddRow("parameters", $"{before.Parameters:N0}", $"{after.Parameters:N0}", "");
        if (before.Accuracy is { } a0 && after.Accuracy is { } a1)
            table.AddRow("accuracy", $"{100 * a0:F2} %", $"{100 * a1:F2} %", $"{100 * (a1 - a0):+0.00;-0.00;0.00} points");
        if (before.LatencyMsBatch1 is { } l0 && after.LatencyMsBatch1 is { } l1)
            table.AddRow("latency, batch 1", $"{l0:F3} ms", $"{l1:F3} ms", $"{l0 / l1:F2}× faster");
        if (before.ThroughputBatch64 is { } t0 && after.ThroughputBatch64 is { } t1)
            table.AddRow("throughput, batch 64", $"{t0:N0} /s", $"{t1:N0} /s", $"{t1 / t0:F2}×");
        AnsiConsole.Write(table);
    }
}
