using System.CommandLine;
using Spectre.Console;
using TinyLM.Cli.Common;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Compress;

/// <summary>
/// <c>tinylm distill --teacher MODEL --data FILE [--unlabeled FILE] [--student-encoder …] --temperature T --alpha A --out MODEL</c>
/// (a language-model teacher goes to <see cref="DistillLm"/>):
/// trains a small classifier on a large one's soft targets (cached teacher logits) mixed with the hard labels, and
/// reports teacher, student and the same student trained without the teacher, measured on the same file in the same run.
/// </summary>
public static class DistillCommand
{
    private static readonly Option<string> TeacherOption = new("--teacher") { Description = "The teacher: a .tlm text classifier or language model (never modified)", Required = true };
    private static readonly Option<string> DataOption = new("--data") { Description = "Labelled training data: a file or a dataset name (its train.tsv); for a language model, its raw training text (e.g. tinyshakespeare)", Required = true };
    private static readonly Option<string?> UnlabeledOption = new("--unlabeled") { Description = "Extra texts (one per line, or a dataset whose labels are ignored) taught by the teacher only" };
    private static readonly Option<int> AugmentOption = new("--augment") { Description = "Add N perturbed copies of each training text (words dropped, windows cut) labelled by the teacher only", DefaultValueFactory = _ => 0 };
    private static readonly Option<float> AugmentDropOption = new("--augment-drop") { Description = "Word-drop probability of --augment copies", DefaultValueFactory = _ => 0.2f };
    private static readonly Option<string> OutOption = new("--out") { Description = "Where to write the student (.tlm)", Required = true };
    private static readonly Option<string?> StudentOption = new("--student") { Description = "Start from this .tlm student (same labels and vocabulary as the teacher) instead of --student-* settings" };
    private static readonly Option<EncoderKind?> EncoderOption = new("--student-encoder") { Description = "bag | cnn | bilstm | bigru | transformer (default bag)" };
    private static readonly Option<int?> EmbedOption = new("--student-embed") { Description = "Student embedding width (the embedding table dominates the parameter count)" };
    private static readonly Option<int?> HiddenOption = new("--student-hidden") { Description = "Student hidden width / filters / model width" };
    private static readonly Option<int?> LayersOption = new("--student-layers") { Description = "Student stacked layers" };
    private static readonly Option<int?> MaxLenOption = new("--student-max-len") { Description = "Tokens the student keeps per text" };
    private static readonly Option<int?> VocabOption = new("--student-vocab") { Description = "Must equal the teacher's vocabulary size (the student reuses its tokenizer)" };
    private static readonly Option<PoolingKind?> PoolingOption = new("--student-pooling") { Description = "last | max | mean" };
    private static readonly Option<float?> DropoutOption = new("--student-dropout") { Description = "Student dropout" };
    private static readonly Option<float> TemperatureOption = new("--temperature") { Description = "Softmax temperature T of the soft targets (> 0)", DefaultValueFactory = _ => 2f };
    private static readonly Option<float> AlphaOption = new("--alpha") { Description = "Weight of the soft term in [0, 1]; 1 − alpha goes to the hard labels", DefaultValueFactory = _ => 0.5f };
    private static readonly Option<int?> EpochsOption = new("--epochs") { Description = "Passes over the training data (default: the student encoder's recipe)" };
    private static readonly Option<int?> BatchOption = new("--batch") { Description = "Examples per step" };
    private static readonly Option<float?> LrOption = new("--lr") { Description = "Peak learning rate" };
    private static readonly Option<ulong> SeedOption = new("--seed") { Description = "Seed of the student's weights and batch order (the baseline uses the same)", DefaultValueFactory = _ => 1UL };
    private static readonly Option<bool> NoBaselineOption = new("--no-baseline") { Description = "Skip training the same student without the teacher" };
    private static readonly Option<string?> EvalOption = new("--eval") { Description = "Labelled data to compare teacher, student and baseline on: a file or a dataset name (its test.tsv)" };
    private static readonly Option<string?> DataDirOption = new("--data-dir") { Description = "Where named datasets live" };
    private static readonly Option<int?> ThreadsOption = new("--threads") { Description = "Threads (default: all cores)" };
    private static readonly Option<int?> HeadsOption = new("--student-heads") { Description = "Language model: student attention heads (default the teacher's)" };
    private static readonly Option<int?> StepsOption = new("--steps") { Description = "Language model: student optimizer steps (default 2000)" };
    private static readonly Option<int> TopKOption = new("--top-k") { Description = "Language model: teacher probabilities cached per position (0 = all for vocabularies ≤ 256, else 32)", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "End with one JSON object: teacher (= before), after (the student), baseline (the student without teacher)" };

    public static Command Create()
    {
        var command = new Command("distill", "Distill a text classifier or a language model into a smaller student and report what it costs and saves.");
        foreach (var option in new Option[]
                 {
                     TeacherOption, DataOption, UnlabeledOption, AugmentOption, AugmentDropOption, OutOption, StudentOption, EncoderOption, EmbedOption, HiddenOption,
                     LayersOption, MaxLenOption, VocabOption, PoolingOption, DropoutOption, TemperatureOption, AlphaOption, EpochsOption,
                     BatchOption, LrOption, SeedOption, NoBaselineOption, EvalOption, DataDirOption, ThreadsOption, JsonOption, HeadsOption, StepsOption, TopKOption,
                 })
            command.Options.Add(option);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        if (parse.GetValue(ThreadsOption) is int threads) Threading.MaxThreads = threads;
        string teacherPath = parse.GetValue(TeacherOption)!, output = parse.GetValue(OutOption)!;
        string? dataDir = parse.GetValue(DataDirOption), studentPath = parse.GetValue(StudentOption);
        float temperature = parse.GetValue(TemperatureOption), alpha = parse.GetValue(AlphaOption);
        if (!(temperature > 0) || !float.IsFinite(temperature))
            throw new CliError($"--temperature must be > 0, got {temperature}.", ExitCodes.Usage);
        if (!(alpha is >= 0f and <= 1f))
            throw new CliError($"--alpha must be in [0, 1], got {alpha}.", ExitCodes.Usage);
        foreach (var input in new[] { teacherPath, studentPath })
            if (input is not null && string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal))
                throw new CliError($"--out {output} is an input model; write the student to another file (inputs are never modified).", ExitCodes.Usage);

        var contents = ModelFile.Load(teacherPath);
        if (contents.Kind == ModelKind.CausalLm) return DistillLm.Run(CausalLMFile.FromContents(contents, teacherPath), LmSettings(parse, teacherPath, output));
        if (new Option[] { HeadsOption, StepsOption, TopKOption }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } lmOnly)
            throw new CliError($"{lmOnly.Name} applies to language-model teachers; {teacherPath} is a text classifier.", ExitCodes.Usage);
        var teacher = TextClassifierFile.FromContents(contents, teacherPath);
        var train = TextDatasetReader.Read(DatasetArgument.Resolve(parse.GetValue(DataOption)!, "train.tsv", dataDir));
        if (train.Count == 0) throw new CliError($"{train.Source}: the training data holds no examples.");
        var unlabeled = parse.GetValue(UnlabeledOption) is { } u ? ReadTexts(DatasetArgument.Resolve(u, "train.tsv", dataDir)) : [];
        int copies = parse.GetValue(AugmentOption);
        float drop = parse.GetValue(AugmentDropOption);
        if (copies < 0) throw new CliError($"--augment must be ≥ 0, got {copies}.", ExitCodes.Usage);
        if (!(drop is >= 0f and < 1f)) throw new CliError($"--augment-drop must be in [0, 1), got {drop}.", ExitCodes.Usage);
        unlabeled.AddRange(DistillAugmentation.Perturb([.. train.Texts], copies, drop, parse.GetValue(SeedOption)));
        string? evalArgument = parse.GetValue(EvalOption);
        var eval = evalArgument is null ? null : TextDatasetReader.Read(DatasetArgument.Resolve(evalArgument, "test.tsv", dataDir));

        if (studentPath is not null && new Option[] { EncoderOption, EmbedOption, HiddenOption, LayersOption, MaxLenOption, VocabOption, PoolingOption, DropoutOption }
                .FirstOrDefault(o => parse.GetResult(o) is not null) is { } clash)
            throw new CliError($"--student {studentPath} fixes the student's architecture; drop {clash.Name}.", ExitCodes.Usage);
        var (config, training) = StudentSettings(parse, teacher);
        Func<TextClassifier> newStudent = studentPath is null
            ? () => ClassifierDistiller.CreateStudent(teacher, config)
            : () => TextClassifierFile.Load(studentPath);
        var student = newStudent();
        ClassifierDistiller.CheckCompatible(teacher, student);
        var options = new DistillOptions { Temperature = temperature, Alpha = alpha, Training = training };
        Console.Error.WriteLine($"teacher {teacher.Config.Encoder.ToString().ToLowerInvariant()} {teacher.ParameterCount():N0} parameters → student " +
                                $"{student.Config.Encoder.ToString().ToLowerInvariant()} {student.ParameterCount():N0} parameters " +
                                $"({(double)student.ParameterCount() / teacher.ParameterCount():P1}); {train.Count} labelled + {unlabeled.Count} unlabeled texts, " +
                                $"T = {temperature}, alpha = {alpha}, {training.Epochs} epochs, {Threading.MaxThreads} threads");

        var distilled = TrainingView.Run("distill", progress => ClassifierDistiller.Distill(teacher, student, train, unlabeled, options, progress));
        student.Save(output);

        TextClassifier? alone = null;
        TrainResult? baselineRun = null;
        if (!parse.GetValue(NoBaselineOption))
        {
            alone = newStudent();
            baselineRun = TrainingView.Run("baseline (no teacher)", progress => new ClassifierTrainer(alone, training) { Progress = progress }.Fit(train));
        }

        // All three are measured after all training, one after the other, so they run under the same conditions.
        ClassifierMeasurement before, after;
        ClassifierMeasurement? baseline = null;
        string baselineFile = output + ".baseline.tmp";
        try
        {
            alone?.Save(baselineFile);
            GC.Collect();
            before = ClassifierMeasurement.Measure(teacher, teacherPath, eval);
            after = ClassifierMeasurement.Measure(student, output, eval);
            if (alone is not null) baseline = ClassifierMeasurement.Measure(alone, baselineFile, eval);
        }
        finally
        {
            File.Delete(baselineFile);
        }
        PrintComparison(before, after, baseline);
        Console.Error.WriteLine($"saved {output}; teacher logits {distilled.TeacherSeconds:F1}s, distillation {distilled.Training.TrainSeconds:F1}s" +
                                (baselineRun is null ? "" : $", baseline {baselineRun.TrainSeconds:F1}s"));
        if (parse.GetValue(JsonOption))
            JsonLine.Print(w =>
            {
                w.WriteString("teacher_model", teacherPath);
                w.WriteString("out", output);
                w.WriteString("student_encoder", student.Config.Encoder.ToString().ToLowerInvariant());
                w.WriteNumber("temperature", temperature);
                w.WriteNumber("alpha", alpha);
                w.WriteNumber("epochs", distilled.Training.EpochsRun);
                w.WriteNumber("labeled_texts", distilled.LabeledExamples);
                w.WriteNumber("unlabeled_texts", distilled.UnlabeledExamples);
                w.WriteNumber("teacher_seconds", Math.Round(distilled.TeacherSeconds, 3));
                w.WriteNumber("train_seconds", Math.Round(distilled.Training.TrainSeconds, 3));
                w.WriteNumber("parameter_ratio", Math.Round((double)after.Parameters / before.Parameters, 6));
                if (before.Accuracy is { } ta && after.Accuracy is { } sa && ta > 0)
                    w.WriteNumber("accuracy_retained", Math.Round(sa / ta, 6));
                before.Write(w, "teacher");
                before.Write(w, "before");
                after.Write(w, "after");
                if (baseline is not null) baseline.Write(w, "baseline");
            });
        return ExitCodes.Ok;
    }

    private static DistillLm.Settings LmSettings(ParseResult parse, string teacherPath, string output)
    {
        if (new Option[] { UnlabeledOption, AugmentOption, AugmentDropOption, EncoderOption, MaxLenOption, VocabOption, PoolingOption, EpochsOption }
                .FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } classifierOnly)
            throw new CliError($"{classifierOnly.Name} applies to classifier teachers; {teacherPath} is a language model (use --steps and --student-layers/-heads/-embed/-hidden).", ExitCodes.Usage);
        if (parse.GetValue(StudentOption) is { } studentPath && new Option[] { EmbedOption, HiddenOption, LayersOption, HeadsOption, DropoutOption }
                .FirstOrDefault(o => parse.GetResult(o) is not null) is { } clash)
            throw new CliError($"--student {studentPath} fixes the student's architecture; drop {clash.Name}.", ExitCodes.Usage);
        return new DistillLm.Settings
        {
            TeacherPath = teacherPath, Output = output, StudentPath = parse.GetValue(StudentOption), Data = parse.GetValue(DataOption)!,
            Eval = parse.GetValue(EvalOption), DataDir = parse.GetValue(DataDirOption), Layers = parse.GetValue(LayersOption),
            Heads = parse.GetValue(HeadsOption), Embed = parse.GetValue(EmbedOption), Hidden = parse.GetValue(HiddenOption),
            Dropout = parse.GetValue(DropoutOption), Steps = parse.GetValue(StepsOption), Batch = parse.GetValue(BatchOption),
            LearningRate = parse.GetValue(LrOption), Seed = parse.GetValue(SeedOption), Temperature = parse.GetValue(TemperatureOption),
            Alpha = parse.GetValue(AlphaOption), TopK = parse.GetValue(TopKOption), NoBaseline = parse.GetValue(NoBaselineOption),
            Json = parse.GetValue(JsonOption),
        };
    }

    // The student's architecture (the encoder's recipe with the --student-* overrides, the teacher's vocabulary)
    // and training options (the recipe's, with --epochs/--batch/--lr/--seed).
    private static (TextClassifierConfig Config, TrainOptions Training) StudentSettings(ParseResult parse, TextClassifier teacher)
    {
        ulong seed = parse.GetValue(SeedOption);
        var (config, training) = ClassifierRecipes.For(parse.GetValue(EncoderOption) ?? EncoderKind.Bag);
        config = config with
        {
            VocabSize = parse.GetValue(VocabOption) ?? teacher.Config.VocabSize,
            EmbedDim = parse.GetValue(EmbedOption) ?? config.EmbedDim,
            Hidden = parse.GetValue(HiddenOption) ?? config.Hidden,
            Layers = parse.GetValue(LayersOption) ?? config.Layers,
            MaxLength = parse.GetValue(MaxLenOption) ?? config.MaxLength,
            Pooling = parse.GetValue(PoolingOption) ?? config.Pooling,
            Dropout = parse.GetValue(DropoutOption) ?? config.Dropout,
            Seed = seed,
        };
        training = training with
        {
            Epochs = parse.GetValue(EpochsOption) ?? training.Epochs,
            BatchSize = parse.GetValue(BatchOption) ?? training.BatchSize,
            LearningRate = parse.GetValue(LrOption) ?? training.LearningRate,
            Seed = seed,
        };
        try
        {
            config.Validate();
            training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliError(e.Message, ExitCodes.Usage);
        }
        if (config.VocabSize != teacher.Config.VocabSize)
            throw new CliError($"--student-vocab {config.VocabSize} differs from the teacher's vocabulary size {teacher.Config.VocabSize}; " +
                               "the student reuses the teacher's tokenizer.", ExitCodes.Usage);
        return (config, training);
    }

    private static List<string> ReadTexts(string file)
    {
        List<string> texts = TextDatasetReader.DetectFormat(file) == DatasetFormat.Tsv && File.ReadLines(file).Take(1).Any(l => l.Contains('\t'))
            ? [.. TextDatasetReader.Read(file).Texts]
            : [.. TextFile.ReadLines(file).Where(l => l.Trim().Length > 0)];
        if (texts.Count == 0 || texts.All(string.IsNullOrWhiteSpace))
            throw new CliError($"{file}: the unlabeled file holds no text.");
        return texts;
    }

    private static void PrintComparison(ClassifierMeasurement teacher, ClassifierMeasurement student, ClassifierMeasurement? baseline)
    {
        var table = ComparisonTable("same evaluation file", (teacher.Bytes, teacher.Parameters), (student.Bytes, student.Parameters),
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

    /// <summary>
    /// The teacher / distilled student / student-without-teacher table that classifier and language-model distillation
    /// share, with its size rows filled in; callers add their quality and speed rows.
    /// </summary>
    internal static Table ComparisonTable(string sameWhat, (long Bytes, long Parameters) teacher, (long Bytes, long Parameters) student,
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

    /// <summary>A baseline cell: the formatted value, or "-" when there is no baseline.</summary>
    internal static string Optional<T>(T? value, Func<T, string> format) where T : struct => value is { } v ? format(v) : "-";
}
