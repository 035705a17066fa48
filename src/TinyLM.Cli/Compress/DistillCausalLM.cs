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
internal static class DistillCausalLM
{
    public sealed record Settings
    {
        public required string TeacherPath { get; init; }
        public required string Output { get; init; }
        public string? StudentPath { get; init; }
        public required string Data { get; init; }
        public string? Eval { get; init; }
        public string? DataDir { get; init; }
        /// <summary>The student's config from the teacher's (the --student-* flags, the seed).</summary>
        public required Func<CausalLMConfig, CausalLMConfig> Shape { get; init; }
        /// <summary>The student's training options (--steps, --batch, --lr, the seed).</summary>
        public required TrainOptions Training { get; init; }
        public float Temperature { get; init; }
        public float Alpha { get; init; }
        public int TopK { get; init; }
        public bool NoBaseline { get; init; }
        public bool Json { get; init; }
    }

    public static int Run(TokenizedCausalLM teacher, Settings s)
    {
        string dataPath = DatasetArgument.Resolve(s.Data, "input.txt", s.DataDir);
        var ids = Encode(teacher, dataPath);
        Func<TokenizedCausalLM> newStudent = s.StudentPath is null ? StudentFactory(teacher, s) : () => CausalLMFile.Load(s.StudentPath);
        var student = newStudent();
        CliError.Check(() => CausalLMDistiller.CheckCompatible(teacher, student), ExitCodes.BadInput);
        int context = student.Model.Config.ContextLength;
        var training = s.Training;
        var options = new CausalLMDistillOptions { Temperature = s.Temperature, Alpha = s.Alpha, TopK = s.TopK, Training = training };
        CliError.Check(options.Validate);
        var data = CliError.Check(() => new CausalLMData(ids, context, training.CausalLM.ValidFraction, dataPath), ExitCodes.BadInput);
        var evalIds = s.Eval is null ? data.Valid : Encode(teacher, DatasetArgument.Resolve(s.Eval, "input.txt", s.DataDir));
        long tp = teacher.Model.ParameterCount(), sp = student.Model.ParameterCount();
        SmallerOutput.CheckStudent(sp, tp, s.StudentPath is null ? "choose a smaller student (fewer layers, a smaller width)" : $"give a smaller --student than {s.StudentPath}");
        Console.Error.WriteLine($"teacher {teacher.Model.Config.Layers}×{teacher.Model.Config.EmbedDim} {tp:N0} parameters → student " +
                                $"{student.Model.Config.Layers}×{student.Model.Config.EmbedDim} {sp:N0} parameters ({(double)sp / tp:P1}); " +
                                $"{data.Train.Length:N0} training tokens in windows of {context}, T = {s.Temperature}, alpha = {s.Alpha}, " +
                                $"{training.Steps} steps, {Kernels.Threading.MaxThreads} threads");

        var distilled = TrainingView.Run("distill", (IProgress<TrainProgress> p) =>
            CausalLMDistiller.Distill(teacher, student, data.Train, data.Valid, options, p));
        SmallerOutput.Save("distill", s.TeacherPath, s.Output, student.Save, "the student's file is not smaller than the teacher's; choose a smaller student");

        TokenizedCausalLM? alone = null;
        CausalLMDistillResult? baselineRun = null;
        if (!s.NoBaseline)
        {
            alone = newStudent();
            var hard = CausalLMTransferSet.HardOnly(data.Train, context, alone.Model.Config.VocabSize);
            baselineRun = TrainingView.Run("baseline (no teacher)", (IProgress<TrainProgress> p) =>
                CausalLMDistiller.Fit(alone.Model, hard, data.Valid, options with { Alpha = 0 }, p));
        }

        // All three are measured after all training, one after the other, on the same tokens.
        CausalLMMeasurement before, after;
        CausalLMMeasurement? baseline = null;
        string baselineFile = s.Output + ".baseline.tmp";
        try
        {
            alone?.Save(baselineFile);
            GC.Collect();
            before = CausalLMMeasurement.Measure(teacher, s.TeacherPath, evalIds);
            after = CausalLMMeasurement.Measure(student, s.Output, evalIds);
            if (alone is not null) baseline = CausalLMMeasurement.Measure(alone, baselineFile, evalIds);
        }
        finally
        {
            File.Delete(baselineFile);
        }
        ComparisonTables.Print(before, after, baseline);
        Console.Error.WriteLine($"saved {s.Output}; teacher cache {distilled.TeacherSeconds:F1}s ({distilled.Windows:N0} windows, " +
                                $"{(distilled.TopK == student.Model.Config.VocabSize ? "full distribution" : $"top {distilled.TopK}")}, " +
                                $"{distilled.CacheBytes / 1048576.0:F1} MiB), distillation {distilled.TrainSeconds:F1}s" +
                                (baselineRun is null ? "" : $", baseline {baselineRun.TrainSeconds:F1}s"));
        if (s.Json)
            JsonLine.Print(new DistillOutput
            {
                TeacherModel = s.TeacherPath, Out = s.Output, Kind = "causal_lm", Temperature = s.Temperature, Alpha = s.Alpha, TopK = distilled.TopK,
                Steps = distilled.Steps, Windows = distilled.Windows, CacheBytes = distilled.CacheBytes,
                TeacherSeconds = Math.Round(distilled.TeacherSeconds, 3), TrainSeconds = Math.Round(distilled.TrainSeconds, 3),
                BaselineTrainSeconds = baselineRun is null ? null : Math.Round(baselineRun.TrainSeconds, 3), Threads = Kernels.Threading.MaxThreads,
                ParameterRatio = Math.Round((double)after.Parameters / before.Parameters, 6),
                Teacher = MeasurementOutput.From(before), Before = MeasurementOutput.From(before), After = MeasurementOutput.From(after),
                Baseline = baseline is null ? null : MeasurementOutput.From(baseline),
            }, CliJson.Default.DistillOutput);
        SmallerOutput.Wrote(s.Output);
        return ExitCodes.Ok;
    }

    // The teacher's architecture family and context with the --student-* shape; weights seeded by --seed.
    private static Func<TokenizedCausalLM> StudentFactory(TokenizedCausalLM teacher, Settings s)
    {
        var config = s.Shape(teacher.Model.Config);
        CliError.Check(config.Validate, context: "student: ");
        return () => CausalLMDistiller.CreateStudent(teacher, config);
    }

    private static int[] Encode(TokenizedCausalLM lm, string path)
    {
        string text = TextFile.ReadAllText(path);
        if (text.Length == 0) throw new CliError($"{path}: the text is empty.");
        return CliError.Check(() => lm.Tokenizer.Encode(text), ExitCodes.BadInput, $"{path}: cannot be tokenized with the teacher's tokenizer: ");
    }
}
