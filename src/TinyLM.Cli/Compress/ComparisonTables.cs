using Spectre.Console;
using TinyLM.Compression;

namespace TinyLM.Cli.Compress;

/// <summary>The before/after tables that quantize, prune and distill end with, for classifiers and language models.</summary>
internal static class ComparisonTables
{
    /// <summary>A classifier before and after compression (same evaluation file, same run).</summary>
    public static void Print(ClassifierMeasurement before, ClassifierMeasurement after, string beforeName, string afterName)
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

    /// <summary>A language model before and after quantization (same windows, same run).</summary>
    public static void Print(CausalLMMeasurement before, CausalLMMeasurement after)
    {
        var table = new Table().Title("Before / after (same windows, same run)");
        table.AddColumns("", "float32", "quantized", "ratio");
        table.AddRow("file bytes", $"{before.Bytes:N0}", $"{after.Bytes:N0}", $"{(double)before.Bytes / after.Bytes:F2}× smaller");
        table.AddRow("parameters", $"{before.Parameters:N0}", $"{after.Parameters:N0}", "");
        if (before.ValLoss is { } l0 && after.ValLoss is { } l1)
            table.AddRow("validation loss", $"{l0:F4}", $"{l1:F4}", $"{100 * (l1 / l0 - 1):+0.00;-0.00;0.00} %");
        table.AddRow("decode, batch 1", $"{before.LatencyMsBatch1:F3} ms/token", $"{after.LatencyMsBatch1:F3} ms/token",
            $"{before.LatencyMsBatch1 / after.LatencyMsBatch1:F2}× faster");
        if (before.ThroughputBatch64 is { } t0 && after.ThroughputBatch64 is { } t1)
            table.AddRow("scoring, 64 rows", $"{t0:N0} tok/s", $"{t1:N0} tok/s", $"{t1 / t0:F2}×");
        AnsiConsole.Write(table);
    }

    /// <summary>Classifier distillation: teacher, distilled student, the same student without teacher.</summary>
    public static void Print(ClassifierMeasurement teacher, ClassifierMeasurement student, ClassifierMeasurement? baseline)
    {
        var table = Distillation("same evaluation file", (teacher.Bytes, teacher.Parameters), (student.Bytes, student.Parameters),
            baseline is null ? null : (baseline.Bytes, baseline.Parameters));
        if (teacher.Accuracy is { } a0 && student.Accuracy is { } a1)
            table.AddRow("accuracy", $"{100 * a0:F2} %", $"{100 * a1:F2} %", Optional(baseline?.Accuracy, a => $"{100 * a:F2} %"),
                $"{100 * a1 / a0:F2} % of teacher");
        if (teacher.LatencyMsBatch1 is { } l0 && student.LatencyMsBatch1 is { } l1)
            table.AddRow("latency, batch 1", $"{l0:F3} ms", $"{l1:F3} ms", Optional(baseline?.LatencyMsBatch1, l => $"{l:F3} ms"), $"{l0 / l1:F2}× faster");
        if (teacher.ThroughputBatch64 is { } t0 && student.ThroughputBatch64 is { } t1)
            table.AddRow("throughput, batch 64", $"{t0:N0} /s", $"{t1:N0} /s", Optional(baseline?.ThroughputBatch64, t => $"{t:N0} /s"), $"{t1 / t0:F2}×");
        AnsiConsole.Write(table);
    }

    /// <summary>Language-model distillation: teacher, distilled student, the same student without teacher.</summary>
    public static void Print(CausalLMMeasurement teacher, CausalLMMeasurement student, CausalLMMeasurement? baseline)
    {
        var table = Distillation("same tokens", (teacher.Bytes, teacher.Parameters), (student.Bytes, student.Parameters),
            baseline is null ? null : (baseline.Bytes, baseline.Parameters));
        if (teacher.ValLoss is { } l0 && student.ValLoss is { } l1)
            table.AddRow("validation loss", $"{l0:F4}", $"{l1:F4}", Optional(baseline?.ValLoss, l => $"{l:F4}"), $"{l1 - l0:+0.0000;-0.0000} nats");
        table.AddRow("decode, batch 1", $"{teacher.LatencyMsBatch1:F3} ms/token", $"{student.LatencyMsBatch1:F3} ms/token",
            Optional(baseline?.LatencyMsBatch1, l => $"{l:F3} ms/token"), $"{teacher.LatencyMsBatch1 / student.LatencyMsBatch1:F2}× faster");
        if (teacher.ThroughputBatch64 is { } t0 && student.ThroughputBatch64 is { } t1)
            table.AddRow("scoring, 64 rows", $"{t0:N0} tok/s", $"{t1:N0} tok/s", Optional(baseline?.ThroughputBatch64, t => $"{t:N0} tok/s"), $"{t1 / t0:F2}×");
        AnsiConsole.Write(table);
    }

    // The distillation table with its size rows filled in; callers add their quality and speed rows.
    private static Table Distillation(string sameWhat, (long Bytes, long Parameters) teacher, (long Bytes, long Parameters) student,
        (long Bytes, long Parameters)? baseline)
    {
        var table = new Table().Title($"Teacher / distilled student / same student without teacher ({sameWhat}, same run)");
        table.AddColumns("", "teacher", "student (distilled)", "student (no teacher)", "student vs teacher");
        table.AddRow("file bytes", $"{teacher.Bytes:N0}", $"{student.Bytes:N0}", Optional(baseline?.Bytes, b => $"{b:N0}"),
            $"{(double)teacher.Bytes / student.Bytes:F2}× smaller");
        table.AddRow("parameters", $"{teacher.Parameters:N0}", $"{student.Parameters:N0}", Optional(baseline?.Parameters, p => $"{p:N0}"),
            $"{(double)student.Parameters / teacher.Parameters:P1}");
        return table;
    }

    // A baseline cell: the formatted value, or "-" when there is no baseline.
    private static string Optional<T>(T? value, Func<T, string> format) where T : struct => value is { } v ? format(v) : "-";
}
