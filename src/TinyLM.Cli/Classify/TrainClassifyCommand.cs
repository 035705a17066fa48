using System.CommandLine;
using System.Diagnostics;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Classify;

/// <summary><c>tinylm train classify</c>: fit a text classifier, report on test data, save one .tlm file.</summary>
public static class TrainClassifyCommand
{
    private static readonly Option<string> TrainOption = new("--train") { Description = "Training data: a file (TSV, CSV, fastText, JSONL) or a dataset name such as r8", Required = true };
    private static readonly Option<string?> ValidOption = new("--valid") { Description = "Validation data (early stopping, best-weight restore)" };
    private static readonly Option<string?> TestOption = new("--test") { Description = "Test data, reported after training (a dataset name means its test.tsv)" };
    private static readonly Option<string> OutOption = new("--out") { Description = "Where to write the model (.tlm)", Required = true };
    private static readonly Option<EncoderKind?> EncoderOption = new("--encoder") { Description = "bag | cnn | bilstm | bigru | transformer (default: the most accurate recipe)" };
    private static readonly Option<int?> VocabOption = new("--vocab") { Description = "Word vocabulary cap" };
    private static readonly Option<int?> MaxLenOption = new("--max-len") { Description = "Tokens kept per text" };
    private static readonly Option<int?> EmbedOption = new("--embed") { Description = "Embedding width" };
    private static readonly Option<int?> HiddenOption = new("--hidden") { Description = "Hidden width per direction / filters / model width" };
    private static readonly Option<int?> LayersOption = new("--layers") { Description = "Stacked layers" };
    private static readonly Option<PoolingKind?> PoolingOption = new("--pooling") { Description = "last | max | mean" };
    private static readonly Option<int?> BucketsOption = new("--buckets") { Description = "Hashed word-bigram buckets (0 = unigrams only)" };
    private static readonly Option<bool?> BigramsOption = new("--bigrams") { Description = "Bag: add every word bigram of the training data to the vocabulary (default: chosen on held-out training data)" };
    private static readonly Option<float?> NaiveBayesOption = new("--nb-weight") { Description = "Weight γ of naive Bayes mixed into the predictions, 0–1 (default: chosen on held-out training data)" };
    private static readonly Option<float?> SvmOption = new("--svm-weight") { Description = "Weight λ of a tf-idf linear SVM mixed into the predictions, 0–1 (default: chosen on held-out training data)" };
    private static readonly Option<int?> EpochsOption = new("--epochs") { Description = "Passes over the training data" };
    private static readonly Option<int?> BatchOption = new("--batch") { Description = "Examples per step" };
    private static readonly Option<float?> LrOption = new("--lr") { Description = "Peak learning rate" };
    private static readonly Option<float?> DropoutOption = new("--dropout") { Description = "Dropout rate" };
    private static readonly Option<OptimizerKind?> OptimizerOption = new("--optimizer") { Description = "adam | adamw | sgd" };
    private static readonly Option<float?> WeightDecayOption = new("--weight-decay") { Description = "Weight decay" };
    private static readonly Option<float?> LabelSmoothingOption = new("--label-smoothing") { Description = "Label smoothing of the cross-entropy target" };
    private static readonly Option<int?> WarmStartOption = new("--warm-start-epochs") { Description = "Epochs of a bag-of-words pass whose embeddings initialise a sequence encoder (0 = off)" };
    private static readonly Option<ScheduleKind?> ScheduleOption = new("--schedule") { Description = "Learning-rate decay after warmup: constant | linear | cosine" };
    private static readonly Option<float?> EmaOption = new("--ema") { Description = "Per-step decay of a moving average of the weights that is evaluated and saved, e.g. 0.999 (0 = off)" };
    private static readonly Option<bool?> FreezeEmbeddingsOption = new("--freeze-embeddings") { Description = "Train everything but the (warm-started) embeddings" };
    private static readonly Option<int?> PatienceOption = new("--patience") { Description = "Stop after N epochs without validation improvement" };
    private static readonly Option<double> ValidFractionOption = new("--valid-fraction") { Description = "Hold out this stratified fraction of training data for validation when --valid is not given", DefaultValueFactory = _ => 0.0 };
    private static readonly Option<string?> CheckpointOption = new("--checkpoint") { Description = "Checkpoint file written every --checkpoint-every steps" };
    private static readonly Option<int> CheckpointEveryOption = new("--checkpoint-every") { Description = "Steps between checkpoints", DefaultValueFactory = _ => 200 };
    private static readonly Option<string?> ResumeOption = new("--resume") { Description = "Continue from a checkpoint file (same data and options)" };
    private static readonly Option<ulong> SeedOption = new("--seed") { Description = "Seed: same seed and data give the same model, bit for bit", DefaultValueFactory = _ => 1UL };
    private static readonly Option<int?> ThreadsOption = new("--threads") { Description = "Threads (default: all cores)" };
    private static readonly Option<bool> SkipBadOption = new("--skip-bad") { Description = "Skip and count bad input lines instead of failing" };
    private static readonly Option<string?> DataDirOption = new("--data-dir") { Description = "Where named datasets live (else $TINYLM_DATA, ../shared/datasets, ~/.cache/tinylm)" };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "End with one JSON object with the results" };

    public static Command Create()
    {
        var command = new Command("classify", "Train a text classifier (news topics, sentiment, …).");
        foreach (var option in new Option[]
                 {
                     TrainOption, ValidOption, TestOption, OutOption, EncoderOption, VocabOption, MaxLenOption, EmbedOption,
                     HiddenOption, LayersOption, PoolingOption, BucketsOption, BigramsOption, NaiveBayesOption, SvmOption, EpochsOption, BatchOption, LrOption, DropoutOption,
                     OptimizerOption, WeightDecayOption, LabelSmoothingOption, WarmStartOption, ScheduleOption, EmaOption, FreezeEmbeddingsOption, PatienceOption, ValidFractionOption, CheckpointOption, CheckpointEveryOption, ResumeOption, SeedOption, ThreadsOption,
                     SkipBadOption, DataDirOption, JsonOption,
                 })
            command.Options.Add(option);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        if (parse.GetValue(ThreadsOption) is int threads) Threading.MaxThreads = threads;
        string? dataDir = parse.GetValue(DataDirOption);
        bool skipBad = parse.GetValue(SkipBadOption), json = parse.GetValue(JsonOption);
        string outPath = parse.GetValue(OutOption)!;
        ulong seed = parse.GetValue(SeedOption);

        var (config, options) = ClassifierRecipes.For(parse.GetValue(EncoderOption));
        config = config with
        {
            VocabSize = parse.GetValue(VocabOption) ?? config.VocabSize,
            MaxLength = parse.GetValue(MaxLenOption) ?? config.MaxLength,
            EmbedDim = parse.GetValue(EmbedOption) ?? config.EmbedDim,
            Hidden = parse.GetValue(HiddenOption) ?? config.Hidden,
            Layers = parse.GetValue(LayersOption) ?? config.Layers,
            Pooling = parse.GetValue(PoolingOption) ?? config.Pooling,
            BigramBuckets = parse.GetValue(BucketsOption) ?? config.BigramBuckets,
            NaiveBayesWeight = parse.GetValue(NaiveBayesOption) ?? config.NaiveBayesWeight,
            LinearSvmWeight = parse.GetValue(SvmOption) ?? config.LinearSvmWeight,
            WordBigrams = parse.GetValue(BigramsOption) ?? config.WordBigrams,
            Dropout = parse.GetValue(DropoutOption) ?? config.Dropout,
            Seed = seed,
        };
        options = options with
        {
            Epochs = parse.GetValue(EpochsOption) ?? options.Epochs,
            BatchSize = parse.GetValue(BatchOption) ?? options.BatchSize,
            LearningRate = parse.GetValue(LrOption) ?? options.LearningRate,
            Optimizer = parse.GetValue(OptimizerOption) ?? options.Optimizer,
            WeightDecay = parse.GetValue(WeightDecayOption) ?? options.WeightDecay,
            Patience = parse.GetValue(PatienceOption) ?? options.Patience,
            LabelSmoothing = parse.GetValue(LabelSmoothingOption) ?? options.LabelSmoothing,
            WarmStartEpochs = parse.GetValue(WarmStartOption) ?? options.WarmStartEpochs,
            Schedule = parse.GetValue(ScheduleOption) ?? options.Schedule,
            AverageDecay = parse.GetValue(EmaOption) ?? options.AverageDecay,
            FreezeEmbeddings = parse.GetValue(FreezeEmbeddingsOption) ?? options.FreezeEmbeddings,
            Seed = seed,
            CheckpointEvery = parse.GetValue(CheckpointOption) is null ? 0 : parse.GetValue(CheckpointEveryOption),
        };
        try
        {
            config.Validate();
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliError(e.Message, ExitCodes.Usage);
        }

        var train = TextDatasetReader.Read(DatasetArgument.Resolve(parse.GetValue(TrainOption)!, "train.tsv", dataDir), skipBad: skipBad);
        TextDataset? valid = parse.GetValue(ValidOption) is string v
            ? TextDatasetReader.Read(DatasetArgument.Resolve(v, "valid.tsv", dataDir), skipBad: skipBad)
            : null;
        TextDataset? test = parse.GetValue(TestOption) is string t
            ? TextDatasetReader.Read(DatasetArgument.Resolve(t, "test.tsv", dataDir), skipBad: skipBad)
            : null;
        foreach (var d in new[] { train, valid, test })
            if (d is { SkippedLines: > 0 }) Console.Error.WriteLine($"{d.Source}: skipped {d.SkippedLines} bad lines");

        double validFraction = parse.GetValue(ValidFractionOption);
        if (valid is null && validFraction > 0)
            (train, valid) = ClassifierData.HoldOut(train, validFraction, seed);

        // The default recipe decides bigrams and the naive Bayes mixture on held-out training data, unless told.
        bool auto = parse.GetValue(EncoderOption) is null && parse.GetValue(BucketsOption) is null
                    && parse.GetValue(BigramsOption) is null && parse.GetValue(NaiveBayesOption) is null && parse.GetValue(SvmOption) is null && parse.GetValue(ResumeOption) is null;
        ClassifierAutoChoice? choice = null;
        double recipeSeconds = 0; // choosing the recipe trains two candidate models: it is training time too
        if (auto)
        {
            var recipeClock = Stopwatch.StartNew();
            Console.Error.WriteLine("choosing bigrams, the naive Bayes and the SVM weights on 20% of the training data…");
            choice = ClassifierAutoRecipe.Choose(train, config, options);
            config = choice.Model;
            foreach (var (bigrams, weight, svmWeight, accuracy) in choice.Candidates)
                Console.Error.WriteLine($"  {(bigrams ? "bigrams" : "words  ")} naive Bayes {weight:0.00} SVM {svmWeight:0.00}: held-out accuracy {accuracy * 100:F2}%");
            recipeSeconds = recipeClock.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"recipe: {choice.Summary} (chosen in {recipeSeconds:F1}s)");
        }

        string? checkpointPath = parse.GetValue(CheckpointOption);
        TrainCheckpoint? resume = null;
        TextClassifier model;
        if (parse.GetValue(ResumeOption) is string resumePath)
            (model, resume) = ClassifierCheckpointFile.Load(resumePath);
        else
            model = TextClassifier.Create(config, train.Examples);
        Console.Error.WriteLine($"{train.Count} training texts, {model.Labels.Count} labels, vocabulary {model.Tokenizer.VocabSize}, " +
                                $"{model.ParameterCount():N0} parameters, encoder {config.Encoder.ToString().ToLowerInvariant()}, {Threading.MaxThreads} threads");
        var result = TrainingView.Run("train", progress => new ClassifierTrainer(model, options)
        {
            Progress = progress, ResumeFrom = resume,
            Checkpoint = checkpointPath is null ? null : c => ClassifierCheckpointFile.Save(model, c, checkpointPath),
        }.Fit(train, valid));

        model.Save(outPath);
        long modelBytes = new FileInfo(outPath).Length;
        var evalData = test ?? valid;
        ClassificationReport? report = evalData is null ? null : model.Evaluate(evalData);
        if (report is not null)
        {
            Console.Error.WriteLine($"evaluation on {evalData!.Source}:");
            Console.Error.WriteLine(report.ToText());
        }
        Console.Error.WriteLine($"saved {outPath} ({modelBytes:N0} bytes) in {result.TrainSeconds + recipeSeconds:F1}s of training");

        if (json)
            JsonLine.Print(w =>
            {
                if (report is not null)
                {
                    w.WriteNumber("accuracy", report.Accuracy);
                    w.WriteNumber("macro_f1", report.MacroF1);
                    w.WriteNumber("weighted_f1", report.WeightedF1);
                }
                w.WriteNumber("train_seconds", result.TrainSeconds + recipeSeconds);
                w.WriteNumber("recipe_seconds", recipeSeconds);
                w.WriteNumber("tokens_per_second", result.TokensPerSecond);
                w.WriteNumber("epochs", result.EpochsRun);
                w.WriteNumber("parameters", model.ParameterCount());
                w.WriteNumber("model_bytes", modelBytes);
                w.WriteNumber("peak_memory_bytes", Process.GetCurrentProcess().PeakWorkingSet64);
                w.WriteString("encoder", config.Encoder.ToString().ToLowerInvariant());
                w.WriteBoolean("word_bigrams", config.WordBigrams);
                w.WriteNumber("bigram_buckets", config.BigramBuckets);
                w.WriteNumber("naive_bayes_weight", config.NaiveBayesWeight);
                w.WriteNumber("svm_weight", config.LinearSvmWeight);
                w.WriteString("model", outPath);
            });
        return ExitCodes.Ok;
    }
}
