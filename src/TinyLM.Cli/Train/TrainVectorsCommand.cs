using System.CommandLine;
using System.Diagnostics;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Training.Vectors;

namespace TinyLM.Cli.Train;

/// <summary><c>tinylm train vectors</c>: word vectors (skip-gram or CBOW, negative sampling) from plain text, written as a .vec file.</summary>
public static class TrainVectorsCommand
{
    private static readonly Option<string> DataOption = new("--data") { Description = "Plain text, one sentence or document per line, words separated by spaces", Required = true };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<VectorModel?> ModelOption = new("--model") { Description = "skipgram | cbow (default skipgram)", CustomParser = ParseModel };
    private static readonly Option<int> DimOption = new("--dim") { Description = "Vector width", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> WindowOption = new("--window") { Description = "Largest context distance", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> NegOption = new("--neg") { Description = "Negative samples per context word", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> MinCountOption = new("--min-count") { Description = "Words seen fewer times are dropped", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> EpochsOption = new("--epochs") { Description = "Passes over the text", DefaultValueFactory = _ => 5 };
    private static readonly Option<float> LrOption = new("--lr") { Description = "Starting learning rate (decays linearly to 0)", DefaultValueFactory = _ => 0.05f };
    private static readonly Option<int> MinNOption = new("--minn") { Description = "Shortest character n-gram (0 = no n-grams)", DefaultValueFactory = _ => 3 };
    private static readonly Option<int> MaxNOption = new("--maxn") { Description = "Longest character n-gram (0 = no n-grams)", DefaultValueFactory = _ => 6 };
    private static readonly Option<int> BucketOption = new("--bucket") { Description = "Hash buckets for character n-grams", DefaultValueFactory = _ => 2_000_000 };
    private static readonly Option<double> SampleOption = new("--sample") { Description = "Subsampling threshold of frequent words (0 = off)", DefaultValueFactory = _ => 1e-4 };
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1);

    // A parse error, not an exception: an unknown value is a usage error (exit 2) with the allowed values.
    private static VectorModel? ParseModel(System.CommandLine.Parsing.ArgumentResult result)
    {
        string s = result.Tokens[0].Value;
        switch (s.ToLowerInvariant())
        {
            case "skipgram" or "skip-gram": return VectorModel.SkipGram;
            case "cbow": return VectorModel.Cbow;
            default:
                result.AddError($"--model: '{s}' is not valid; expected one of cbow, skipgram.");
                return null;
        }
    }

    public static Command Create()
    {
        var command = new Command("vectors", "Train word vectors (skip-gram or CBOW with negative sampling, optional character n-grams); writes a fastText-compatible .vec file.");
        command.AddOptions([DataOption, OutOption, ModelOption, DimOption, WindowOption, NegOption, MinCountOption, EpochsOption, LrOption,
            MinNOption, MaxNOption, BucketOption, SampleOption, SeedOption, SharedOptions.Threads]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string data = parse.GetValue(DataOption)!, outPath = parse.GetValue(OutOption)!;
        var options = new VectorTrainOptions
        {
            Model = parse.GetValue(ModelOption) ?? VectorModel.SkipGram, Dim = parse.GetValue(DimOption), Window = parse.GetValue(WindowOption),
            Negatives = parse.GetValue(NegOption), MinCount = parse.GetValue(MinCountOption), Epochs = parse.GetValue(EpochsOption),
            LearningRate = parse.GetValue(LrOption), MinN = parse.GetValue(MinNOption), MaxN = parse.GetValue(MaxNOption),
            Buckets = parse.GetValue(BucketOption), Sample = parse.GetValue(SampleOption), Seed = parse.GetValue(SeedOption),
            Threads = Threading.MaxThreads,
        };
        CliError.Check(options.Validate);
        if (!File.Exists(data)) throw new CliError($"--data: no such file '{data}'");
        OutputFile.Check(outPath, "--out", ("training text", data));

        var clock = Stopwatch.StartNew();
        var trainer = CliError.Check(() => new VectorTrainer(File.ReadLines(data), options), ExitCodes.BadInput, $"{data}: ");
        Console.Error.WriteLine($"{trainer.TokensPerEpoch:N0} words per epoch, vocabulary {trainer.VocabularySize:N0}, " +
                                $"{options.Model.ToString().ToLowerInvariant()} dim {options.Dim}, {options.Threads} threads (read in {clock.Elapsed.TotalSeconds:F1}s)");
        clock.Restart();
        WordVectors vectors = TrainingView.Run<VectorProgress, WordVectors>("vectors", progress => trainer.Train(progress.Report),
            p => ((int)(1000 * p.WordsDone / Math.Max(1, p.WordsTotal)), 1000,
                  $"vectors loss {p.Loss:F4} lr {p.LearningRate:F4} {p.WordsDone / Math.Max(1e-3, clock.Elapsed.TotalSeconds) / 1000:F1}k words/s"),
            _ => null);
        double seconds = clock.Elapsed.TotalSeconds;
        VecFile.Write(outPath, vectors);
        Console.Error.WriteLine($"trained in {seconds:F1}s: {trainer.TokensPerEpoch * options.Epochs / seconds:N0} words/s; {vectors.Words.Count:N0} vectors written to {outPath}");
        return 0;
    }
}
