using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Text;
using TinyLM.Training;
using TinyLM.Training.Tuning;

namespace TinyLM.Cli.Classify;

/// <summary>
/// <c>tinylm tune classify</c>: successive halving over classifier recipes (<see cref="ClassifierTuner"/>) under a time
/// and a model-size budget; prints the leaderboard, writes it as JSON and saves the best model.
/// </summary>
public static class TuneClassifyCommand
{
    private static readonly Option<string> TrainOption = new("--train") { Description = "Training data: a file (TSV, CSV, fastText, JSONL) or a dataset name such as r8", Required = true };
    private static readonly Option<string?> ValidOption = new("--valid") { Description = "Validation data the candidates are ranked on (default: a stratified 20% of --train)" };
    private static readonly Option<string?> TestOption = new("--test") { Description = "Test data, reported for the best model only (never used to choose)" };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<string?> LeaderboardOption = new("--leaderboard") { Description = "Where the leaderboard JSON goes (default: the --out path with .leaderboard.json)" };
    private static readonly Option<double> BudgetOption = new("--budget-minutes") { Description = "Wall-clock budget of the search", DefaultValueFactory = _ => 5.0 };
    private static readonly Option<long?> MaxBytesOption = new("--max-model-bytes") { Description = "Largest model file allowed (each candidate is measured by saving it)" };
    private static readonly Option<TuneMetric> MetricOption = new("--metric")
    {
        Description = "accuracy | macro_f1", DefaultValueFactory = _ => TuneMetric.Accuracy, CustomParser = r => ParseMetric(r),
    };
    private static readonly Option<int> CandidatesOption = new("--candidates") { Description = "Candidates of the first rung", DefaultValueFactory = _ => 12 };
    private static readonly Option<int> BracketsOption = new("--brackets") { Description = "Successive-halving brackets, each on fresh candidates (0 = as many as the budget allows)", DefaultValueFactory = _ => 0 };
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1);

    // A parse error, not an exception: the parser reports it as bad usage (exit 2).
    private static TuneMetric ParseMetric(System.CommandLine.Parsing.ArgumentResult r)
    {
        string s = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        switch (s.ToLowerInvariant())
        {
            case "accuracy": return TuneMetric.Accuracy;
            case "macro_f1" or "macro-f1": return TuneMetric.MacroF1;
            default:
                r.AddError($"--metric: expected accuracy or macro_f1, found '{s}'");
                return TuneMetric.Accuracy;
        }
    }

    /// <summary>The <c>tune</c> verb group with its <c>classify</c> verb.</summary>
    public static Command Create()
    {
        var classify = new Command("classify", "Search classifier recipes (encoder, learning rate, width, vocabulary, bigrams, naive Bayes and SVM mixtures, epochs) by successive halving under a time and size budget.");
        classify.AddOptions([TrainOption, ValidOption, TestOption, OutOption, LeaderboardOption, BudgetOption, MaxBytesOption, MetricOption,
            CandidatesOption, BracketsOption, SeedOption, SharedOptions.Threads, SharedOptions.SkipBad, SharedOptions.DataDir]);
        classify.SetRunner(Run);
        var tune = new Command("tune", "Search hyper-parameters under a budget.");
        tune.Subcommands.Add(classify);
        return tune;
    }

    private static int Run(ParseResult parse)
    {
        string? dataDir = parse.GetValue(SharedOptions.DataDir);
        bool skipBad = parse.GetValue(SharedOptions.SkipBad);
        string outPath = parse.GetValue(OutOption)!;
        string boardPath = parse.GetValue(LeaderboardOption) ?? Path.ChangeExtension(outPath, ".leaderboard.json");
        double minutes = parse.GetValue(BudgetOption);
        if (!(minutes > 0) || !double.IsFinite(minutes)) throw new CliError($"--budget-minutes: expected a positive number, found {minutes}", ExitCodes.Usage);
        ulong seed = parse.GetValue(SeedOption);
        var options = new TuneOptions
        {
            Budget = TimeSpan.FromMinutes(minutes), MaxModelBytes = parse.GetValue(MaxBytesOption), Metric = parse.GetValue(MetricOption),
            Candidates = parse.GetValue(CandidatesOption), Brackets = parse.GetValue(BracketsOption), Seed = seed,
        };
        CliError.Check(options.Validate);

        var train = InputData.ReadLabelled(parse.GetValue(TrainOption)!, "train.tsv", dataDir, skipBad);
        TextDataset? valid = parse.GetValue(ValidOption) is string v ? InputData.ReadLabelled(v, "valid.tsv", dataDir, skipBad) : null;
        TextDataset? test = parse.GetValue(TestOption) is string t ? InputData.ReadLabelled(t, "test.tsv", dataDir, skipBad) : null;
        var inputs = new[] { ("training data", (string?)train.Source), ("validation data", valid?.Source), ("test data", test?.Source) };
        OutputFile.Check(outPath, "--out", inputs);
        OutputFile.Check(boardPath, "--leaderboard", [.. inputs, ("model", outPath)]);
        if (valid is null) (train, valid) = ClassifierData.HoldOut(train, 0.2, seed);

        string metric = options.Metric == TuneMetric.MacroF1 ? "macro_f1" : "accuracy";
        Console.Error.WriteLine($"tuning on {train.Count} training texts, ranking by {metric} on {valid.Count} validation texts; budget {minutes:0.##} min" +
                                (options.MaxModelBytes is long max ? $", models ≤ {max:N0} bytes" : ""));
        var scratch = Directory.CreateTempSubdirectory("tinylm-tune-");
        TuneResult result;
        try
        {
            string probe = Path.Combine(scratch.FullName, "candidate.tlm");
            var tuner = new ClassifierTuner(options, model =>
            {
                model.Save(probe);
                return new FileInfo(probe).Length;
            })
            {
                TrialDone = trial => Console.Error.WriteLine($"  rung {trial.Rung} ({trial.Epochs} epochs) #{trial.Candidate.Index} {trial.Candidate.Describe()}: " +
                                                             $"{StatusText(trial, metric)}, {trial.ModelBytes:N0} bytes, {trial.Seconds:F1}s"),
            };
            result = CliError.Check(() => tuner.Run(train, valid), ExitCodes.Usage);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }

        InputData.CheckLabels(result.Best, test);
        result.Best.Save(outPath);
        long bytes = new FileInfo(outPath).Length;
        if (options.MaxModelBytes is long limit && bytes > limit)
        {
            File.Delete(outPath);
            throw new CliError($"the chosen model saved to {bytes:N0} bytes, over --max-model-bytes {limit:N0}; nothing written.", ExitCodes.Internal);
        }
        ClassificationReport? report = test is null ? null : result.Best.Evaluate(test);
        WriteLeaderboard(boardPath, result, options, metric, outPath, bytes, report);

        Console.WriteLine($"leaderboard ({result.Trials.Count} trials in {result.Seconds:F1}s{(result.BudgetExhausted ? ", budget used up" : "")}; ranked by {metric} on validation):");
        Console.WriteLine($"{"rank",4}  {"rung",4}  {"epochs",6}  {metric,9}  {"bytes",12}  candidate");
        int rank = 0;
        foreach (var trial in result.Leaderboard)
            Console.WriteLine($"{++rank,4}  {trial.Rung,4}  {trial.Epochs,6}  {StatusText(trial, metric),9}  {trial.ModelBytes,12:N0}  #{trial.Candidate.Index} {trial.Candidate.Describe()}");
        Console.WriteLine($"best: #{result.BestTrial.Candidate.Index} {result.BestTrial.Candidate.Describe()} ({result.BestTrial.Epochs} epochs), " +
                          $"{metric} {result.BestTrial.Score:F4} on validation, saved to {outPath} ({bytes:N0} bytes); leaderboard JSON: {boardPath}");
        if (report is not null)
            Console.WriteLine($"test ({test!.Source}): accuracy {report.Accuracy:F4}, macro F1 {report.MacroF1:F4}");
        return ExitCodes.Ok;
    }

    private static string StatusText(TuneTrial trial, string metric) => trial.Status switch
    {
        TrialStatus.Done => trial.Score.ToString("F4", CultureInfo.InvariantCulture),
        TrialStatus.OverSize => "over size",
        _ => "cut",
    };

    private static void WriteLeaderboard(string path, TuneResult result, TuneOptions options, string metric, string modelPath, long modelBytes,
        ClassificationReport? test) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("metric", metric);
            w.WriteNumber("budget_seconds", options.Budget.TotalSeconds);
            if (options.MaxModelBytes is long max) w.WriteNumber("max_model_bytes", max);
            else w.WriteNull("max_model_bytes");
            w.WriteNumber("seed", options.Seed);
            w.WriteNumber("seconds", result.Seconds);
            w.WriteBoolean("budget_exhausted", result.BudgetExhausted);
            w.WriteString("model", modelPath);
            w.WriteNumber("model_bytes", modelBytes);
            if (test is not null)
            {
                w.WriteNumber("test_accuracy", test.Accuracy);
                w.WriteNumber("test_macro_f1", test.MacroF1);
            }
            w.WritePropertyName("best");
            WriteTrial(w, result.BestTrial);
            w.WriteStartArray("leaderboard");
            foreach (var trial in result.Leaderboard) WriteTrial(w, trial);
            w.WriteEndArray();
            w.WriteStartArray("trials");
            foreach (var trial in result.Trials) WriteTrial(w, trial);
            w.WriteEndArray();
            w.WriteEndObject();
        });

    private static void WriteTrial(Utf8JsonWriter w, TuneTrial t)
    {
        w.WriteStartObject();
        w.WriteNumber("candidate", t.Candidate.Index);
        w.WriteString("description", t.Candidate.Describe());
        w.WriteString("encoder", t.Candidate.Model.Encoder.ToString().ToLowerInvariant());
        w.WriteNumber("embed", t.Candidate.Model.EmbedDim);
        w.WriteNumber("hidden", t.Candidate.Model.Hidden);
        w.WriteNumber("vocab", t.Candidate.Model.VocabSize);
        w.WriteBoolean("bigrams", t.Candidate.Model.WordBigrams);
        w.WriteNumber("nb_weight", t.Candidate.Model.NaiveBayesWeight);
        w.WriteNumber("svm_weight", t.Candidate.Model.LinearSvmWeight);
        w.WriteNumber("learning_rate", t.Candidate.Training.LearningRate);
        w.WriteNumber("rung", t.Rung);
        w.WriteNumber("epochs", t.Epochs);
        w.WriteString("status", t.Status switch { TrialStatus.Done => "done", TrialStatus.OverSize => "over_size", _ => "cut" });
        if (t.Status == TrialStatus.Done)
        {
            w.WriteNumber("score", t.Score);
            w.WriteNumber("accuracy", t.Accuracy);
            w.WriteNumber("macro_f1", t.MacroF1);
        }
        w.WriteNumber("model_bytes", t.ModelBytes);
        w.WriteNumber("seconds", t.Seconds);
        w.WriteEndObject();
    }
}
