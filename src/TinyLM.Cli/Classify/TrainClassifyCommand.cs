using System.CommandLine;
using System.Diagnostics;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;
using TinyLM.Training.Vectors;

namespace TinyLM.Cli.Classify;

/// <summary><c>tinylm train classify</c>: fit a text classifier, report on test data, save one .tlm file.</summary>
public static class TrainClassifyCommand
{
    private static readonly Option<string> TrainOption = new("--train") { Description = "Training data: a file (TSV, CSV, fastText, JSONL) or a dataset name such as r8", Required = true };
    private static readonly Option<string?> ValidOption = new("--valid") { Description = "Validation data (early stopping, best-weight restore)" };
    private static readonly Option<string?> TestOption = new("--test") { Description = "Test data, reported after training (a dataset name means its test.tsv)" };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<EncoderKind?> EncoderOption = new("--encoder") { Description = "bag | cnn | bilstm | bigru | transformer (default: the most accurate recipe)" };

    // The mixture flags: given any of them, the default recipe no longer chooses the mixture on held-out data.
    private static readonly Override<TextClassifierConfig, int> Buckets = new("--buckets", "Hashed word-bigram buckets (0 = unigrams only)", (c, v) => c with { BigramBuckets = v });
    private static readonly Override<TextClassifierConfig, bool> Bigrams = new("--bigrams", "Bag: add every word bigram of the training data to the vocabulary (default: chosen on held-out training data)", (c, v) => c with { WordBigrams = v });
    private static readonly Override<TextClassifierConfig, float> NaiveBayes = new("--nb-weight", "Weight γ of naive Bayes mixed into the predictions, 0–1 (default: chosen on held-out training data)", (c, v) => c with { NaiveBayesWeight = v });
    private static readonly Override<TextClassifierConfig, int> Embed = new("--embed", "Embedding width (default with --vectors: the vectors' width)", (c, v) => c with { EmbedDim = v });
    private static readonly Override<TrainOptions, int> WarmStart = new("--warm-start-epochs", "Epochs of a bag-of-words pass whose embeddings initialise a sequence encoder (0 = off; off with --vectors)", (o, v) => o with { Classifier = o.Classifier with { WarmStartEpochs = v } });
    private static readonly Option<string?> VectorsOption = new("--vectors") { Description = "Initialise the word embeddings from a .vec file (word2vec, fastText or GloVe text layout); words without a vector keep their random start" };
    private static readonly Override<TextClassifierConfig, float> Svm = new("--svm-weight", "Weight λ of a tf-idf linear SVM mixed into the predictions, 0–1 (default: chosen on held-out training data)", (c, v) => c with { LinearSvmWeight = v });

    private static readonly Override<TextClassifierConfig>[] ConfigOverrides =
    [
        Config<int>("--vocab", "Word vocabulary cap", (c, v) => c with { VocabSize = v }),
        Config<int>("--max-len", "Tokens kept per text", (c, v) => c with { MaxLength = v }),
        Embed,
        // The transformer's width is --embed (its residual stream), so its "hidden" is the MLP's; the bag has no hidden layer.
        Config<int>("--hidden", "Hidden width per direction (bilstm, bigru), filters per width (cnn), MLP width (transformer)", (c, v) => c.Encoder switch
        {
            EncoderKind.Transformer => c with { MlpHidden = v },
            // A warning, not an error: scripts that loop over encoders with one set of flags keep working.
            EncoderKind.Bag => WarnIgnored(c, "--hidden does not apply to the bag encoder (its only width is --embed); ignored"),
            _ => c with { Hidden = v },
        }),
        Config<int>("--layers", "Stacked layers", (c, v) => c with { Layers = v }),
        Config<PoolingKind>("--pooling", "last | max | mean", (c, v) => c with { Pooling = v }),
        Buckets, Bigrams, NaiveBayes, Svm,
        Config<float>("--dropout", "Dropout rate", (c, v) => c with { Dropout = v }),
    ];

    private static readonly Override<TrainOptions>[] TrainingOverrides =
    [
        Training<int>("--epochs", "Passes over the training data", (o, v) => o with { Epochs = v }),
        Training<int>("--batch", "Examples per step", (o, v) => o with { BatchSize = v }),
        Training<float>("--lr", "Peak learning rate", (o, v) => o with { LearningRate = v }),
        Training<OptimizerKind>("--optimizer", "adam | adamw | sgd", (o, v) => o with { Optimizer = v }),
        Training<float>("--weight-decay", "Weight decay", (o, v) => o with { WeightDecay = v }),
        Training<float>("--label-smoothing", "Label smoothing of the cross-entropy target", (o, v) => o with { LabelSmoothing = v }),
        WarmStart,
        Training<ScheduleKind>("--schedule", "Learning-rate decay after warmup: constant | linear | cosine", (o, v) => o with { Schedule = v }),
        Training<float>("--ema", "Per-step decay of a moving average of the weights that is evaluated and saved, e.g. 0.999 (0 = off)", (o, v) => o with { AverageDecay = v }),
        Training<bool>("--freeze-embeddings", "Train everything but the embeddings (warm-started or from --vectors)", (o, v) => o with { Classifier = o.Classifier with { FreezeEmbeddings = v } }),
        Training<int>("--patience", "Stop after N epochs without validation improvement", (o, v) => o with { Patience = v }),
    ];

    private static readonly Option<double> ValidFractionOption = new("--valid-fraction") { Description = "Hold out this stratified fraction of training data for validation when --valid is not given", DefaultValueFactory = _ => 0.0 };
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1);

    private static Override<TextClassifierConfig> Config<T>(string name, string description, Func<TextClassifierConfig, T, TextClassifierConfig> set)
        where T : struct => new Override<TextClassifierConfig, T>(name, description, set);

    private static Override<TrainOptions> Training<T>(string name, string description, Func<TrainOptions, T, TrainOptions> set)
        where T : struct => new Override<TrainOptions, T>(name, description, set);

    private static TextClassifierConfig WarnIgnored(TextClassifierConfig config, string message)
    {
        Console.Error.WriteLine($"warning: {message}");
        return config;
    }

    private static readonly SharedOptions.Checkpointing CheckpointOptions = SharedOptions.Checkpoint(200);

    public static Command Create()
    {
        var command = new Command("classify", "Train a text classifier (news topics, sentiment, …).");
        command.AddOptions([TrainOption, ValidOption, TestOption, OutOption, EncoderOption, VectorsOption]);
        command.AddOptions(ConfigOverrides.Options());
        command.AddOptions(TrainingOverrides.Options());
        command.AddOptions([ValidFractionOption, .. CheckpointOptions.All, SharedOptions.SkipNonFinite, SeedOption, SharedOptions.Threads,
            SharedOptions.SkipBad, SharedOptions.DataDir, SharedOptions.Json]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string? dataDir = parse.GetValue(SharedOptions.DataDir);
        bool skipBad = parse.GetValue(SharedOptions.SkipBad), json = parse.GetValue(SharedOptions.Json);
        string outPath = parse.GetValue(OutOption)!;
        ulong seed = parse.GetValue(SeedOption);

        var (config, options) = ClassifierRecipes.For(parse.GetValue(EncoderOption));
        config = ConfigOverrides.Apply(parse, config) with { Seed = seed };
        options = TrainingOverrides.Apply(parse, options) with
        {
            Seed = seed,
            SkipNonFinite = parse.GetValue(SharedOptions.SkipNonFinite),
            CheckpointEvery = parse.GetValue(CheckpointOptions.File) is null ? 0 : parse.GetValue(CheckpointOptions.Every),
        };
        CliError.Check(config.Validate);
        CliError.Check(options.Validate);

        var train = InputData.ReadLabelled(parse.GetValue(TrainOption)!, "train.tsv", dataDir, skipBad);
        TextDataset? valid = parse.GetValue(ValidOption) is string v ? InputData.ReadLabelled(v, "valid.tsv", dataDir, skipBad) : null;
        TextDataset? test = parse.GetValue(TestOption) is string t ? InputData.ReadLabelled(t, "test.tsv", dataDir, skipBad) : null;
        string? checkpointPath = parse.GetValue(CheckpointOptions.File), resumePath = parse.GetValue(CheckpointOptions.Resume);
        // Before any training: a run must not end by overwriting its own data, or fail to save after hours of work.
        OutputFile.Check(outPath, "--out", ("training data", train.Source), ("validation data", valid?.Source), ("test data", test?.Source),
            ("checkpoint to resume", resumePath), ("word vectors", parse.GetValue(VectorsOption)));
        if (checkpointPath is not null)
            OutputFile.Check(checkpointPath, "--checkpoint", ("training data", train.Source), ("validation data", valid?.Source), ("test data", test?.Source));

        // Pretrained vectors: read (and checked) before any training; their width is the embedding's unless --embed disagrees.
        string? vectorsPath = parse.GetValue(VectorsOption);
        WordVectors? vectors = null;
        if (vectorsPath is not null)
        {
            if (resumePath is not null)
                throw new CliError("--vectors initialises a fresh model; a run resumed with --resume has its embeddings in the checkpoint.", ExitCodes.Usage);
            if (WarmStart.IsGiven(parse) && options.Classifier.WarmStartEpochs > 0)
                throw new CliError($"--vectors {vectorsPath} and --warm-start-epochs both initialise the embeddings: give one of them.", ExitCodes.Usage);
            if (!File.Exists(vectorsPath)) throw new CliError($"--vectors: no such file '{vectorsPath}'");
            try
            {
                vectors = VecFile.Read(vectorsPath);
            }
            catch (VecFormatException e)
            {
                throw new CliError(e.Message);
            }
            if (Embed.IsGiven(parse) && config.EmbedDim != vectors.Dim)
                throw new CliError($"--vectors {vectorsPath}: the vectors are {vectors.Dim} wide but --embed is {config.EmbedDim}; " +
                                   $"give --embed {vectors.Dim} or leave it out.", ExitCodes.Usage);
            config = config with { EmbedDim = vectors.Dim };
            CliError.Check(config.Validate);
            options = options with { Classifier = options.Classifier with { WarmStartEpochs = 0 } };
        }

        double validFraction = parse.GetValue(ValidFractionOption);
        if (valid is null && validFraction > 0)
            (train, valid) = ClassifierData.HoldOut(train, validFraction, seed);

        // The default recipe decides bigrams and the naive Bayes mixture on held-out training data, unless told.
        bool auto = parse.GetValue(EncoderOption) is null && !new Override<TextClassifierConfig>[] { Buckets, Bigrams, NaiveBayes, Svm }.Any(o => o.IsGiven(parse))
                    && parse.GetValue(CheckpointOptions.Resume) is null;
        ClassifierAutoChoice? choice = null;
        double recipeSeconds = 0; // choosing the recipe trains two candidate models: it is training time too
        if (auto)
        {
            var recipeClock = Stopwatch.StartNew();
            Console.Error.WriteLine("choosing bigrams, the naive Bayes and the SVM weights on 20% of the training data…");
            choice = ClassifierAutoRecipe.Choose(train, config, options);
            config = choice.Model;
            recipeSeconds = recipeClock.Elapsed.TotalSeconds;
            // One line per decision, not one per candidate (the candidates are in --json's recipe fields' terms).
            Console.Error.WriteLine($"recipe ({choice.Candidates.Count} candidates, chosen in {recipeSeconds:F1}s):");
            foreach (var line in RecipeSummary.Lines(choice)) Console.Error.WriteLine(line);
        }

        TrainCheckpoint? resume = null;
        TextClassifier model;
        if (resumePath is not null)
        {
            (model, resume) = ClassifierCheckpointFile.Load(resumePath);
            ResumeCheck.Refuse(resumePath, parse, ConfigOverrides, model.Config,
                new ResumeCheck.Setting(EncoderOption, parse.GetValue(EncoderOption), model.Config.Encoder));
            config = model.Config; // the banner shows what trains
        }
        else
            model = TextClassifier.Create(config, train.Examples);
        if (vectors is not null)
        {
            var found = CliError.Check(() => PretrainedEmbeddings.Apply(model, vectors), ExitCodes.Usage, $"--vectors {vectorsPath}: ");
            Console.Error.WriteLine($"vectors: {found.Found:N0} of {found.Words:N0} vocabulary words found in {vectorsPath} ({vectors.Words.Count:N0} vectors, {vectors.Dim} wide); " +
                                    $"{found.Missing:N0} keep their random start{(options.Classifier.FreezeEmbeddings ? "; the table is frozen" : "")}");
        }
        Console.Error.WriteLine($"{train.Count} training texts, {model.Labels.Count} labels, vocabulary {model.Tokenizer.VocabSize}, " +
                                $"{model.ParameterCount():N0} parameters, encoder {config.Encoder.ToString().ToLowerInvariant()}, {Threading.MaxThreads} threads");
        var result = StopSignals.Run(checkpointPath, stop => TrainingView.Run("train", progress => new ClassifierTrainer(model, options)
        {
            Progress = progress, ResumeFrom = resume,
            Checkpoint = checkpointPath is null ? null : c => ClassifierCheckpointFile.Save(model, c, checkpointPath),
        }.Fit(train, valid, stop)));

        model.Save(outPath);
        long modelBytes = new FileInfo(outPath).Length;
        var evalData = test ?? valid;
        ClassificationReport? report = evalData is null ? null : model.Evaluate(evalData);
        if (report is not null)
        {
            // The report is the verb's result: on standard output, as `eval` prints it (stderr when --json owns stdout).
            var reportOut = json ? Console.Error : Console.Out;
            reportOut.WriteLine($"evaluation on {evalData!.Source}:");
            reportOut.WriteLine(report.ToText());
        }
        Console.Error.WriteLine($"saved {outPath} ({modelBytes:N0} bytes) in {result.TrainSeconds + recipeSeconds:F1}s of training");

        if (json)
            JsonLine.Print(new TrainClassifyOutput(report?.Accuracy, report?.MacroF1, report?.WeightedF1, result.TrainSeconds + recipeSeconds,
                recipeSeconds, result.TokensPerSecond, result.EpochsRun, model.ParameterCount(), modelBytes, Process.GetCurrentProcess().PeakWorkingSet64,
                config.Encoder.ToString().ToLowerInvariant(), config.WordBigrams, config.BigramBuckets, config.NaiveBayesWeight, config.LinearSvmWeight,
                outPath), CliJson.Default.TrainClassifyOutput);
        return ExitCodes.Ok;
    }
}
