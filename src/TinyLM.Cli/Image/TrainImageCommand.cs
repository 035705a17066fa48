using System.CommandLine;
using System.Text.Json.Serialization;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Training;

namespace TinyLM.Cli.Image;

/// <summary>The --json record of <c>tinylm train image</c>.</summary>
public sealed record TrainImageOutput(string Model, string Arch, long Parameters, int TrainImages, int? TestImages, int EpochsRun, long Steps,
    double TrainLoss, double TrainAccuracy, double? TestAccuracy, double TrainSeconds, double ImagesPerSecond, bool BudgetReached, int Threads, string Simd);

/// <summary>Source-generated serializer of the image verbs' --json records.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TrainImageOutput))]
public sealed partial class ImageCliJson : JsonSerializerContext;

/// <summary><c>tinylm train image</c>: a small CNN image classifier on IDX images (Fashion-MNIST, MNIST), written as a .tlm file.</summary>
public static class TrainImageCommand
{
    private static readonly Option<string> TrainOption = new("--train") { Description = "Training images: a dataset name (fashion-mnist), a folder of IDX files or an images-idx3 file", Required = true };
    private static readonly Option<string?> TestOption = new("--test") { Description = "Test images, scored after every epoch (never used to choose weights); same forms as --train (t10k-* files)" };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<ImageArch> ArchOption = new("--arch") { Description = "cnn-small", DefaultValueFactory = _ => ImageArch.CnnSmall, CustomParser = ParseArch };
    private static readonly Option<int> EpochsOption = new("--epochs") { Description = "Passes over the training images", DefaultValueFactory = _ => 5 };
    private static readonly Option<double> MinutesOption = new("--minutes") { Description = "Wall-clock budget: no step starts after it (0 = none)", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Images per step", DefaultValueFactory = _ => 64 };
    private static readonly Option<float> LrOption = new("--lr") { Description = "Peak learning rate (Adam, cosine decay over the planned epochs)", DefaultValueFactory = _ => 3e-3f };
    private static readonly Option<int> Width1Option = new("--width1") { Description = "Filters of the first convolution", DefaultValueFactory = _ => 16 };
    private static readonly Option<int> Width2Option = new("--width2") { Description = "Filters of the second convolution", DefaultValueFactory = _ => 32 };
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1);

    // A parse error (not an exception) so a bad value is a usage error, exit code 2.
    private static ImageArch ParseArch(System.CommandLine.Parsing.ArgumentResult r)
    {
        string s = r.Tokens[0].Value;
        if (s.Equals("cnn-small", StringComparison.OrdinalIgnoreCase)) return ImageArch.CnnSmall;
        r.AddError($"--arch: expected cnn-small, found '{s}'");
        return default;
    }

    public static Command Create()
    {
        var command = new Command("image", "Train a small CNN image classifier (conv-BN-ReLU-pool ×2, linear) on IDX images such as Fashion-MNIST; writes a .tlm file.");
        command.AddOptions([TrainOption, TestOption, OutOption, ArchOption, EpochsOption, MinutesOption, BatchOption, LrOption, Width1Option, Width2Option,
            SeedOption, SharedOptions.DataDir, SharedOptions.Json, SharedOptions.Threads]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string outPath = parse.GetValue(OutOption)!;
        string? dataDir = parse.GetValue(SharedOptions.DataDir);
        double minutes = parse.GetValue(MinutesOption);
        if (!(minutes >= 0) || double.IsInfinity(minutes)) throw new CliError($"--minutes must be ≥ 0, got {minutes}.", ExitCodes.Usage);
        var options = new TrainOptions
        {
            Epochs = parse.GetValue(EpochsOption), BatchSize = parse.GetValue(BatchOption), LearningRate = parse.GetValue(LrOption),
            Schedule = ScheduleKind.Cosine, Seed = parse.GetValue(SeedOption),
        };
        CliError.Check(options.Validate);

        var (trainImages, trainLabels, fashion) = ImageDataArgument.Resolve(parse.GetValue(TrainOption)!, "train", dataDir, "--train");
        (string Images, string Labels, bool)? test = parse.GetValue(TestOption) is { } t ? ImageDataArgument.Resolve(t, "t10k", dataDir, "--test") : null;
        OutputFile.Check(outPath, "--out", ("training images", trainImages), ("training labels", trainLabels),
            ("test images", test?.Images), ("test labels", test?.Labels));

        var train = ImageDataArgument.Read(trainImages, trainLabels);
        var testSet = test is { } ts ? ImageDataArgument.Read(ts.Images, ts.Labels) : null;
        int classes = Math.Max(train.Classes, testSet?.Classes ?? 0);
        var (mean, std) = Models.ImageClassifier.PixelStatistics(train);
        var config = new ImageClassifierConfig
        {
            Arch = parse.GetValue(ArchOption), Channels = train.Channels, Height = train.Height, Width = train.Width, Classes = classes,
            Width1 = parse.GetValue(Width1Option), Width2 = parse.GetValue(Width2Option), PixelMean = mean, PixelStd = std, Seed = options.Seed,
        };
        string[] labels = fashion && classes == FashionLabelsCount ? ImageDataArgument.FashionMnistLabels : [.. Enumerable.Range(0, classes).Select(i => i.ToString())];
        var model = CliError.Check(() => new Models.ImageClassifier(config, labels));
        if (testSet is not null) CliError.Check(() => model.CheckShape(testSet), ExitCodes.BadInput);
        Console.Error.WriteLine($"{train.Count:N0} training images {train.Channels}×{train.Height}×{train.Width}, {classes} classes" +
            (testSet is null ? "" : $", {testSet.Count:N0} test images") +
            $"; cnn-small {model.ParameterCount():N0} weights, {Threading.MaxThreads} threads, SIMD {Simd.Level}");

        var result = TrainingView.Run("image", progress => new ImageClassifierTrainer(model, options) { BudgetSeconds = minutes * 60, Progress = progress }.Fit(train, testSet));
        model.Save(outPath);
        Console.Error.WriteLine($"trained {result.EpochsRun} epochs ({result.Steps} steps{(result.BudgetReached ? ", budget reached" : "")}) in {result.TrainSeconds:F1}s, " +
            $"{result.TokensPerSecond:F0} images/s; train acc {result.FinalTrainAccuracy:P2}" +
            (result.EvaluationAccuracy is double acc ? $", test acc {acc:P2}" : "") + $"; written to {outPath}");
        if (parse.GetValue(SharedOptions.Json))
            JsonLine.Print(new TrainImageOutput(outPath, "cnn-small", model.ParameterCount(), train.Count, testSet?.Count, result.EpochsRun, result.Steps,
                result.FinalTrainLoss, result.FinalTrainAccuracy ?? 0, result.EvaluationAccuracy, result.TrainSeconds, result.TokensPerSecond, result.BudgetReached,
                Threading.MaxThreads, Simd.Level.ToString()), ImageCliJson.Default.TrainImageOutput);
        return ExitCodes.Ok;
    }

    private const int FashionLabelsCount = 10;
}
