using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Training;

namespace TinyLM.Cli.Compress;

/// <summary>
/// <c>tinylm distill --teacher MODEL --data FILE [--unlabeled FILE] [--student-encoder …] --temperature T --alpha A --out MODEL</c>
/// (a language-model teacher goes to <see cref="DistillCausalLM"/>):
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
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<string?> StudentOption = new("--student") { Description = "Start from this .tlm student (same labels and vocabulary as the teacher) instead of --student-* settings" };
    private static readonly Option<EncoderKind?> EncoderOption = new("--student-encoder") { Description = "bag | cnn | bilstm | bigru | transformer (default bag)" };

    // The student's shape. A classifier student takes them all; a language-model student the ones in CausalLMShape.
    private static readonly Override<TextClassifierConfig, int> Embed = new("--student-embed", "Student embedding width (the embedding table dominates the parameter count)", (c, v) => c with { EmbedDim = v });
    private static readonly Override<TextClassifierConfig, int> Hidden = new("--student-hidden", "Student hidden width / filters / model width", (c, v) => c with { Hidden = v });
    private static readonly Override<TextClassifierConfig, int> Layers = new("--student-layers", "Student stacked layers", (c, v) => c with { Layers = v });
    private static readonly Override<TextClassifierConfig, int> MaxLen = new("--student-max-len", "Tokens the student keeps per text", (c, v) => c with { MaxLength = v });
    private static readonly Override<TextClassifierConfig, PoolingKind> Pooling = new("--student-pooling", "last | max | mean", (c, v) => c with { Pooling = v });
    private static readonly Override<TextClassifierConfig, float> Dropout = new("--student-dropout", "Student dropout", (c, v) => c with { Dropout = v });
    private static readonly Override<TextClassifierConfig>[] Shape = [Embed, Hidden, Layers, MaxLen, Pooling, Dropout];
    private static readonly Option<int?> VocabOption = new("--student-vocab")
    {
        Description = "Keep at most the teacher's first N word ids (its most frequent words; the rest read as unknown): a smaller embedding table. Default: the teacher's whole vocabulary",
    };

    private static readonly Option<float> TemperatureOption = new("--temperature") { Description = "Softmax temperature T of the soft targets (> 0)", DefaultValueFactory = _ => 2f };
    private static readonly Option<float> AlphaOption = new("--alpha") { Description = "Weight of the soft term in [0, 1]; 1 − alpha goes to the hard labels", DefaultValueFactory = _ => 0.5f };
    private static readonly Override<TrainOptions, int> Epochs = new("--epochs", "Passes over the training data (default: the student encoder's recipe)", (o, v) => o with { Epochs = v });
    private static readonly Override<TrainOptions, int> Batch = new("--batch", "Examples per step", (o, v) => o with { BatchSize = v });
    private static readonly Override<TrainOptions, float> Lr = new("--lr", "Peak learning rate", (o, v) => o with { LearningRate = v });
    private static readonly Override<TrainOptions>[] Training = [Epochs, Batch, Lr];
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1);
    private static readonly Option<bool> NoBaselineOption = new("--no-baseline") { Description = "Skip training the same student without the teacher" };
    private static readonly Option<string?> EvalOption = new("--eval") { Description = "Labelled data to compare teacher, student and baseline on: a file or a dataset name (its test.tsv)" };
    private static readonly Option<int?> HeadsOption = new("--student-heads") { Description = "Language model: student attention heads (default the teacher's)" };
    private static readonly Option<int?> StepsOption = new("--steps") { Description = "Language model: student optimizer steps (default 2000)" };
    private static readonly Option<int> TopKOption = new("--top-k") { Description = "Language model: teacher probabilities cached per position (0 = all for vocabularies ≤ 256, else 32)", DefaultValueFactory = _ => 0 };

    // A language-model student: the same flags, set on its config. A new width drops the teacher's MLP width (4 × the
    // width unless --student-hidden), new heads its key/value heads (plain attention), so the shape stays consistent.
    private static readonly Override<CausalLMConfig>[] CausalLMShape =
    [
        new Override<CausalLMConfig, int>(Layers.Flag, (c, v) => c with { Layers = v }),
        new Override<CausalLMConfig, int>(HeadsOption, (c, v) => c with { Heads = v, KvHeads = 0 }),
        new Override<CausalLMConfig, int>(Embed.Flag, (c, v) => c with { EmbedDim = v, HiddenDim = 0 }),
        new Override<CausalLMConfig, int>(Hidden.Flag, (c, v) => c with { HiddenDim = v }),
        new Override<CausalLMConfig, float>(Dropout.Flag, (c, v) => c with { Dropout = v }),
    ];

    private static readonly Override<TrainOptions>[] CausalLMTraining =
    [
        new Override<TrainOptions, int>(StepsOption, (o, v) => o with { Steps = v }),
        new Override<TrainOptions, int>(Batch.Flag, (o, v) => o with { BatchSize = v }),
        new Override<TrainOptions, float>(Lr.Flag, (o, v) => o with { LearningRate = v, MinLearningRate = v / 10 }),
    ];

    public static Command Create()
    {
        var command = new Command("distill", "Distill a text classifier or a language model into a smaller student and report what it costs and saves.");
        command.AddOptions([TeacherOption, DataOption, UnlabeledOption, AugmentOption, AugmentDropOption, OutOption, StudentOption, EncoderOption]);
        command.AddOptions(Shape.Options());
        command.AddOptions([VocabOption]);
        command.AddOptions([TemperatureOption, AlphaOption]);
        command.AddOptions(Training.Options());
        command.AddOptions([SeedOption, NoBaselineOption, EvalOption, SharedOptions.DataDir, SharedOptions.SkipBad, SharedOptions.Threads, SharedOptions.Json, HeadsOption,
            StepsOption, TopKOption]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string teacherPath = parse.GetValue(TeacherOption)!, output = parse.GetValue(OutOption)!;
        string? dataDir = parse.GetValue(SharedOptions.DataDir), studentPath = parse.GetValue(StudentOption);
        float temperature = parse.GetValue(TemperatureOption), alpha = parse.GetValue(AlphaOption);
        if (!(temperature > 0) || !float.IsFinite(temperature))
            throw new CliError($"--temperature must be > 0, got {temperature}.", ExitCodes.Usage);
        if (!(alpha is >= 0f and <= 1f))
            throw new CliError($"--alpha must be in [0, 1], got {alpha}.", ExitCodes.Usage);
        OutputFile.Check(output, "--out", ("teacher model", teacherPath), ("student model", studentPath), ("training data", parse.GetValue(DataOption)),
            ("evaluation data", parse.GetValue(EvalOption)), ("unlabeled data", parse.GetValue(UnlabeledOption)));

        var contents = ModelFile.Load(teacherPath);
        if (contents.Kind == ModelKind.CausalLM) return DistillCausalLM.Run(CausalLMFile.FromContents(contents, teacherPath), CausalLMSettings(parse, teacherPath, output));
        if (new Option[] { HeadsOption, StepsOption, TopKOption }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } lmOnly)
            throw new CliError($"{lmOnly.Name} applies to language-model teachers; {teacherPath} is a text classifier.", ExitCodes.Usage);
        var teacher = TextClassifierFile.FromContents(contents, teacherPath);
        bool skipBad = parse.GetValue(SharedOptions.SkipBad);
        var train = InputData.ReadLabelled(parse.GetValue(DataOption)!, "train.tsv", dataDir, skipBad);
        if (train.Count == 0) throw new CliError($"{train.Source}: the training data holds no examples.");
        var unlabeled = parse.GetValue(UnlabeledOption) is { } u ? InputData.ReadTexts(DatasetArgument.Resolve(u, "train.tsv", dataDir), "unlabeled") : [];
        int copies = parse.GetValue(AugmentOption);
        float drop = parse.GetValue(AugmentDropOption);
        if (copies < 0) throw new CliError($"--augment must be ≥ 0, got {copies}.", ExitCodes.Usage);
        if (!(drop is >= 0f and < 1f)) throw new CliError($"--augment-drop must be in [0, 1), got {drop}.", ExitCodes.Usage);
        unlabeled.AddRange(DistillAugmentation.Perturb([.. train.Texts], copies, drop, parse.GetValue(SeedOption)));
        string? evalArgument = parse.GetValue(EvalOption);
        var eval = evalArgument is null ? null : InputData.ReadLabelled(evalArgument, "test.tsv", dataDir, skipBad);
        InputData.CheckLabels(teacher, eval);

        if (studentPath is not null && Shape.Select(o => o.Option).Prepend(EncoderOption).Append(VocabOption).FirstOrDefault(o => parse.GetResult(o) is not null) is { } clash)
            throw new CliError($"--student {studentPath} fixes the student's architecture; drop {clash.Name}.", ExitCodes.Usage);
        var (config, training) = StudentSettings(parse, teacher);
        int? vocabulary = parse.GetValue(VocabOption);
        if (vocabulary is int keep)
        {
            if (teacher.Words is not { } words)
                throw new CliError($"--student-vocab needs a teacher with a word tokenizer; {teacher.Tokenizer.Kind} here.", ExitCodes.Usage);
            int least = words.OovId is null ? 2 : 3;
            if (keep < least)
                throw new CliError($"--student-vocab must be ≥ {least} (padding{(words.OovId is null ? "" : ", unknown word")} and one word), got {keep}.", ExitCodes.Usage);
            if (config.WordBigrams)
                throw new CliError("--student-vocab: a student with word bigrams needs the teacher's whole vocabulary.", ExitCodes.Usage);
            vocabulary = Math.Min(keep, words.VocabSize); // a cap: a teacher with fewer ids keeps them all
        }
        Func<TextClassifier> newStudent = studentPath is null
            ? () => ClassifierDistiller.CreateStudent(teacher, config, vocabulary)
            : () => TextClassifierFile.Load(studentPath);
        var student = newStudent();
        ClassifierDistiller.CheckCompatible(teacher, student);
        SmallerOutput.CheckStudent(student.ParameterCount(), teacher.ParameterCount(),
            studentPath is null ? "choose a smaller student (--student-encoder, a smaller width or vocabulary)" : $"give a smaller --student than {studentPath}");
        var options = new DistillOptions { Temperature = temperature, Alpha = alpha, Training = training };
        Console.Error.WriteLine($"teacher {teacher.Config.Encoder.ToString().ToLowerInvariant()} {teacher.ParameterCount():N0} parameters → student " +
                                $"{student.Config.Encoder.ToString().ToLowerInvariant()} {student.ParameterCount():N0} parameters " +
                                $"({(double)student.ParameterCount() / teacher.ParameterCount():P1}); {train.Count} labelled + {unlabeled.Count} unlabeled texts, " +
                                $"T = {temperature}, alpha = {alpha}, {training.Epochs} epochs, {Threading.MaxThreads} threads");

        var distilled = TrainingView.Run("distill", progress => ClassifierDistiller.Distill(teacher, student, train, unlabeled, options, progress));
        SmallerOutput.Save("distill", teacherPath, output, student.Save, "the student's file is not smaller than the teacher's; choose a smaller student");

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
        ComparisonTables.Print(before, after, baseline);
        Console.Error.WriteLine($"saved {output}; teacher logits {distilled.TeacherSeconds:F1}s, distillation {distilled.Training.TrainSeconds:F1}s" +
                                (baselineRun is null ? "" : $", baseline {baselineRun.TrainSeconds:F1}s"));
        if (parse.GetValue(SharedOptions.Json))
            JsonLine.Print(new DistillOutput
            {
                TeacherModel = teacherPath, Out = output, Kind = "classifier", StudentEncoder = student.Config.Encoder.ToString().ToLowerInvariant(),
                Temperature = temperature, Alpha = alpha, Epochs = distilled.Training.EpochsRun, LabeledTexts = distilled.LabeledExamples,
                UnlabeledTexts = distilled.UnlabeledExamples, TeacherSeconds = Math.Round(distilled.TeacherSeconds, 3),
                TrainSeconds = Math.Round(distilled.Training.TrainSeconds, 3),
                BaselineTrainSeconds = baselineRun is null ? null : Math.Round(baselineRun.TrainSeconds, 3), Threads = Threading.MaxThreads,
                ParameterRatio = Math.Round((double)after.Parameters / before.Parameters, 6),
                AccuracyRetained = before.Accuracy is { } ta && after.Accuracy is { } sa && ta > 0 ? Math.Round(sa / ta, 6) : null,
                Teacher = MeasurementOutput.From(before), Before = MeasurementOutput.From(before), After = MeasurementOutput.From(after),
                Baseline = baseline is null ? null : MeasurementOutput.From(baseline),
            }, CliJson.Default.DistillOutput);
        SmallerOutput.Wrote(output);
        return ExitCodes.Ok;
    }

    private static DistillCausalLM.Settings CausalLMSettings(ParseResult parse, string teacherPath, string output)
    {
        if (new Option[] { UnlabeledOption, AugmentOption, AugmentDropOption, EncoderOption, MaxLen.Option, VocabOption, Pooling.Option, Epochs.Option, SharedOptions.SkipBad }
                .FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } classifierOnly)
            throw new CliError($"{classifierOnly.Name} applies to classifier teachers; {teacherPath} is a language model (use --steps and --student-layers/-heads/-embed/-hidden).", ExitCodes.Usage);
        if (parse.GetValue(StudentOption) is { } studentPath && CausalLMShape.FirstOrDefault(o => parse.GetResult(o.Option) is not null) is { } clash)
            throw new CliError($"--student {studentPath} fixes the student's architecture; drop {clash.Option.Name}.", ExitCodes.Usage);
        ulong seed = parse.GetValue(SeedOption);
        return new DistillCausalLM.Settings
        {
            TeacherPath = teacherPath, Output = output, StudentPath = parse.GetValue(StudentOption), Data = parse.GetValue(DataOption)!,
            Eval = parse.GetValue(EvalOption), DataDir = parse.GetValue(SharedOptions.DataDir),
            Shape = teacher => CausalLMShape.Apply(parse, teacher) with { Seed = seed },
            Training = CausalLMTraining.Apply(parse, TrainOptions.ForCausalLM) with { Seed = seed },
            Temperature = parse.GetValue(TemperatureOption), Alpha = parse.GetValue(AlphaOption), TopK = parse.GetValue(TopKOption),
            NoBaseline = parse.GetValue(NoBaselineOption), Json = parse.GetValue(SharedOptions.Json),
        };
    }

    // The student's architecture (the encoder's recipe with the --student-* overrides, the teacher's vocabulary cap)
    // and training options (the recipe's, with --epochs/--batch/--lr/--seed).
    private static (TextClassifierConfig Config, TrainOptions Training) StudentSettings(ParseResult parse, TextClassifier teacher)
    {
        ulong seed = parse.GetValue(SeedOption);
        var (config, training) = ClassifierRecipes.For(parse.GetValue(EncoderOption) ?? EncoderKind.Bag);
        config = Shape.Apply(parse, config with { VocabSize = teacher.Config.VocabSize }) with { Seed = seed };
        training = Training.Apply(parse, training) with { Seed = seed };
        CliError.Check(config.Validate);
        CliError.Check(training.Validate);
        return (config, training);
    }
}
