using Spectre.Console;
using TinyLM.Cli.Common;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Compress;

/// <summary>
/// The language-model branch of <c>tinylm distill</c>: a smaller causal LM (the teacher's tokenizer, the
/// <c>--student-*</c> shape) trained on the teacher's cached next-token distributions over its training text, the
/// same student trained on the same windows without the teacher, and teacher / student / baseline measured on the
/// same validation tokens in the same run.
/// </summary>
internal static class DistillLm
{
    public sealed record Settings
    {
        public required string TeacherPath { get; init; }
        public required string Output { get; init; }
        public string? StudentPath { get; init; }
        public required string Data { get; init; }
        public string? Eval { get; init; }
        public string? DataDir { get; init; }
        public int? Layers { get; init; }
        public int? Heads { get; init; }
        public int? Embed { get; init; }
        public int? Hidden { get; init; }
        public float? Dropout { get; init; }
        public int? Steps { get; init; }
        public int? Batch { get; init; }
        public float? LearningRate { get; init; }
        public ulong Seed { get; init; }
        public float Temperature { get; init; }
        public float Alpha { get; init; }
        public int TopK { get; init; }
        public bool NoBaseline { get; init; }
        public bool Json { get; init; }
    }

    public static int Run(LanguageModel teacher, Settings s)
    {
        string dataPath = DatasetArgument.Resolve(s.Data, "input.txt", s.DataDir);
        var ids = Encode(teacher, dataPath);
        Func<LanguageModel> newStudent = s.StudentPath is null ? StudentFactory(teacher, s) : () => CausalLMFile.Load(s.StudentPath);
        var student = newStudent();
        try
        {
            CausalLMDistiller.CheckCompatible(teacher, student);
        }
        catch (ArgumentException e)
        {
            throw new CliError(e.Message);
        }
        int context = student.Model.Config.ContextLength;
        var training = new LmTrainOptions
        {
            Steps = s.Steps ?? 2000, BatchSize = s.Batch ?? 12, LearningRate = s.LearningRate ?? 1e-3f,
            MinLearningRate = (s.LearningRate ?? 1e-3f) / 10, Seed = s.Seed,
        };
        var options = new LmDistillOptions { Temperature = s.Temperature, Alpha = s.Alpha, TopK = s.TopK, Training = training };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliError(e.Message, ExitCodes.Usage);
        }
        LmData data;
        try
        {
            data = new LmData(ids, context, training.ValidFraction, dataPath);
        }
        catch (ArgumentException e)
        {
            throw new CliError(e.Message);
        }
        var evalIds = s.Eval is null ? data.Valid : Encode(teacher, DatasetArgument.Resolve(s.Eval, "input.txt", s.DataDir));
        long tp = teacher.Model.ParameterCount(), sp = student.Model.ParameterCount();
        Console.Error.WriteLine($"teacher {teacher.Model.Config.Layers}×{teacher.Model.Config.EmbedDim} {tp:N0} parameters → student " +
                                $"{student.Model.Config.Layers}×{student.Model.Config.EmbedDim} {sp:N0} parameters ({(double)sp / tp:P1}); " +
                                $"{data.Train.Length:N0} training tokens in windows of {context}, T = {s.Temperature}, alpha = {s.Alpha}, " +
                                $"{training.Steps} steps, {Kernels.Threading.MaxThreads} threads");

        var distilled = TrainingView.Run("distill", (IProgress<LmTrainProgress> p) =>
            CausalLMDistiller.Distill(teacher, student, data.Train, data.Valid, options, p));
        student.Save(s.Output);

        LanguageModel? alone = null;
        LmDistillResult? baselineRun = null;
        if (!s.NoBaseline)
        {
            alone = newStudent();
            var hard = LmTransferSet.HardOnly(data.Train, context, alone.Model.Config.VocabSize);
            baselineRun = TrainingView.Run("baseline (no teacher)", (IProgress<LmTrainProgress> p) =>
                CausalLMDistiller.Fit(alone.Model, hard, data.Valid, options with { Alpha = 0 }, p));
        }

        // All three are measured after all training, one after the other, on the same tokens.
        LmMeasurement before, after;
        LmMeasurement? baseline = null;
        string baselineFile = s.Output + ".baseline.tmp";
        try
        {
            alone?.Save(baselineFile);
            GC.Collect();
            before = LmMeasurement.Measure(teacher, s.TeacherPath, evalIds);
            after = LmMeasurement.Measure(student, s.Output, evalIds);
            if (alone is not null) baseline = LmMeasurement.Measure(alone, baselineFile, evalIds);
        }
        finally
        {
            File.Delete(baselineFile);
        }
        PrintComparison(before, after, baseline);
        Console.Error.WriteLine($"saved {s.Output}; teacher cache {distilled.TeacherSeconds:F1}s ({distilled.Windows:N0} windows, " +
                                $"{(distilled.TopK == student.Model.Config.VocabSize ? "full distribution" : $"top {distilled.TopK}")}, " +
                                $"{distilled.CacheBytes / 1048576.0:F1} MiB), distillation {distilled.TrainSeconds:F1}s" +
                                (baselineRun is null ? "" : $", baseline {baselineRun.TrainSeconds:F1}s"));
        if (s.Json)
            JsonLine.Print(w =>
            {
                w.WriteString("teacher_model", s.TeacherPath);
                w.WriteString("out", s.Output);
                w.WriteString("kind", "causal_lm");
                w.WriteNumber("temperature", s.Temperature);
                w.WriteNumber("alpha", s.Alpha);
                w.WriteNumber("top_k", distilled.TopK);
                w.WriteNumber("steps", distilled.Steps);
                w.WriteNumber("windows", distilled.Windows);
                w.WriteNumber("cache_bytes", distilled.CacheBytes);
                w.WriteNumber("teacher_seconds", Math.Round(distilled.TeacherSeconds, 3));
                w.WriteNumber("train_seconds", Math.Round(distilled.TrainSeconds, 3));
                if (baselineRun is not null) w.WriteNumber("baseline_train_seconds", Math.Round(baselineRun.TrainSeconds, 3));
                w.WriteNumber("threads", Kernels.Threading.MaxThreads);
                w.WriteNumber("parameter_ratio", Math.Round((double)after.Parameters / before.Parameters, 6));
                before.Write(w, "teacher");
                before.Write(w, "before");
                after.Write(w, "after");
                if (baseline is not null) baseline.Write(w, "baseline");
            });
        return ExitCodes.Ok;
    }

    // The teacher's architecture family and context with the --student-* shape; weights seeded by --seed.
    private static Func<LanguageModel> StudentFactory(LanguageModel teacher, Settings s)
    {
        var t = teacher.Model.Config;
        var config = t with
        {
            Layers = s.Layers ?? t.Layers, Heads = s.Heads ?? t.Heads, KvHeads = s.Heads is null ? t.KvHeads : 0,
            EmbedDim = s.Embed ?? t.EmbedDim, HiddenDim = s.Hidden ?? (s.Embed is null ? t.HiddenDim : 0),
            Dropout = s.Dropout ?? t.Dropout, Seed = s.Seed,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliError($"student: {e.Message}", ExitCodes.Usage);
        }
        return () => CausalLMDistiller.CreateStudent(teacher, config);
    }

    private static int[] Encode(LanguageModel lm, string path)
    {
        string text = TextFile.ReadAllText(path);
        if (text.Length == 0) throw new CliError($"{path}: the text is empty.");
        try
        {
            return lm.Tokenizer.Encode(text);
        }
        catch (ArgumentException e)
        {
            throw new CliError($"{path}: cannot be tokenized with the teacher's tokenizer: {e.Message}");
        }
    }

    private static void PrintComparison(LmMeasurement teacher, LmMeasurement student, LmMeasurement? baseline)
    {
        var table = DistillCommand.ComparisonTable("same tokens", (teacher.Bytes, teacher.Parameters), (student.Bytes, student.Parameters),
            baseline is null ? null : (baseline.Bytes, baseline.Parameters));
        if (teacher.ValLoss is { } l0 && student.ValLoss is { } l1)
            table.AddRow("validation loss", $"{l0:F4}", $"{l1:F4}", DistillCommand.Optional(baseline?.ValLoss, l => $"{l:F4}"), $"{l1 - l0:+0.0000;-0.0000} nats");
        table.AddRow("decode, batch 1", $"{teacher.LatencyMsBatch1:F3} ms/token", $"{student.LatencyMsBatch1:F3} ms/token",
            DistillCommand.Optional(baseline?.LatencyMsBatch1, l => $"{l:F3} ms/token"), $"{teacher.LatencyMsBatch1 / student.LatencyMsBatch1:F2}× faster");
        if (teacher.ThroughputBatch64 is { } t0 && student.ThroughputBatch64 is { } t1)
            table.AddRow("scoring, 64 rows", $"{t0:N0} tok/s", $"{t1:N0} tok/s", DistillCommand.Optional(baseline?.ThroughputBatch64, t => $"{t:N0} tok/s"), $"{t1 / t0:F2}×");
        AnsiConsole.Write(table);
    }
}
