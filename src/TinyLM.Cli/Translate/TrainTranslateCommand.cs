using System.CommandLine;
using System.Diagnostics;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Translate;

/// <summary><c>tinylm train translate</c>: fit an encoder–decoder on a parallel corpus, report validation BLEU, save one .tlm file.</summary>
public static class TrainTranslateCommand
{
    private static readonly Option<string> SrcOption = new("--src") { Description = "Source side: a file, a TSV of source<TAB>target (without --tgt), or a dataset name (multi30k = train.de)", Required = true };
    private static readonly Option<string?> TgtOption = new("--tgt") { Description = "Target side, line-aligned with --src (multi30k = train.en)" };
    private static readonly Option<string?> ValidSrcOption = new("--valid-src") { Description = "Validation source (or TSV); a dataset --src defaults to its val files" };
    private static readonly Option<string?> ValidTgtOption = new("--valid-tgt") { Description = "Validation target" };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<Seq2SeqArch?> ArchOption = new("--arch") { Description = "rnn | transformer (default transformer)" };
    private static readonly Option<bool> InputFeedingOption = new("--input-feeding") { Description = "RNN, dot attention: feed the previous attentional vector into the decoder (slower per token)" };
    private static readonly Option<bool> SeparateVocabOption = new("--separate-vocab") { Description = "One vocabulary per language instead of a shared one" };

    private static readonly Override<Seq2SeqConfig>[] ConfigOverrides =
    [
        Config<RnnAttention>("--attention", "RNN attention: dot (Luong) | additive (Bahdanau)", (c, v) => c with { Attention = v }),
        Config<int>("--layers", "Encoder layers (and as many decoder layers)", (c, v) => c with { Layers = v }),
        Config<int>("--embed", "Embedding width (Transformer: model width)", (c, v) => c with { EmbedDim = v }),
        Config<int>("--hidden", "RNN hidden width / Transformer MLP width", (c, v) => c with { Hidden = v }),
        Config<int>("--heads", "Transformer attention heads", (c, v) => c with { Heads = v }),
        Config<int>("--vocab", "Byte-level BPE vocabulary size", (c, v) => c with { VocabSize = v }),
        Config<float>("--dropout", "Dropout rate", (c, v) => c with { Dropout = v }),
    ];

    /// <summary>
    /// The budget of a run given neither --epochs nor --minutes: the 20 epochs of the recipe take hours on a 2-core
    /// machine (Multi30k), so by default training stops after this many minutes, or after the 20 epochs if sooner.
    /// </summary>
    internal const double DefaultMinutes = 15;

    private static readonly Override<TrainOptions, double> Minutes = new("--minutes", $"Wall-clock training budget (the learning rate decays over it); default {DefaultMinutes:0} unless --epochs is given",
        // A budget in minutes replaces the epoch count (unless --epochs is also given): it runs until the time is up.
        (o, v) => o with { Minutes = v, Epochs = 1000 });

    private static readonly Override<TrainOptions>[] TrainingOverrides =
    [
        Minutes,
        Training<int>("--epochs", "Passes over the training data", (o, v) => o with { Epochs = v }),
        Training<int>("--batch-tokens", "Padded tokens per batch", (o, v) => o with { Seq2Seq = o.Seq2Seq with { BatchTokens = v } }),
        // The decay ends at 5% of the peak, whatever the peak.
        Training<float>("--lr", "Peak learning rate", (o, v) => o with { LearningRate = v, MinLearningRate = 0.05f * v }),
        Training<int>("--warmup", "Warm-up steps", (o, v) => o with { WarmupSteps = v }),
        Training<int>("--max-len", "Training pairs longer than this (tokens) are left out", (o, v) => o with { Seq2Seq = o.Seq2Seq with { MaxTrainLength = v } }),
    ];

    private static readonly Option<int> BeamOption = new("--beam") { Description = "Beam width for the validation BLEU", DefaultValueFactory = _ => 1 };
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1);

    private static Override<Seq2SeqConfig> Config<T>(string name, string description, Func<Seq2SeqConfig, T, Seq2SeqConfig> set)
        where T : struct => new Override<Seq2SeqConfig, T>(name, description, set);

    private static Override<TrainOptions> Training<T>(string name, string description, Func<TrainOptions, T, TrainOptions> set)
        where T : struct => new Override<TrainOptions, T>(name, description, set);

    private static readonly SharedOptions.Checkpointing CheckpointOptions = SharedOptions.Checkpoint(200);

    public static Command Create()
    {
        var command = new Command("translate", "Train a translation model (encoder–decoder: BiGRU+attention or Transformer).");
        command.AddOptions([SrcOption, TgtOption, ValidSrcOption, ValidTgtOption, OutOption, ArchOption, InputFeedingOption, SeparateVocabOption]);
        command.AddOptions(ConfigOverrides.Options());
        command.AddOptions(TrainingOverrides.Options());
        command.AddOptions([.. CheckpointOptions.All, SharedOptions.SkipNonFinite, BeamOption, SeedOption, SharedOptions.Threads, SharedOptions.SkipBad, SharedOptions.DataDir, SharedOptions.Json]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string? dataDir = parse.GetValue(SharedOptions.DataDir);
        bool json = parse.GetValue(SharedOptions.Json);
        string outPath = parse.GetValue(OutOption)!;
        ulong seed = parse.GetValue(SeedOption);
        var arch = parse.GetValue(ArchOption) ?? Seq2SeqArch.Transformer;
        var config = ConfigOverrides.Apply(parse, Seq2SeqConfig.For(arch)) with
        {
            InputFeeding = parse.GetValue(InputFeedingOption), SharedVocab = !parse.GetValue(SeparateVocabOption), Seed = seed,
        };
        string? checkpointPath = parse.GetValue(CheckpointOptions.File);
        var options = TrainingOverrides.Apply(parse, TrainOptions.ForSeq2Seq) with
        {
            Seed = seed, SkipNonFinite = parse.GetValue(SharedOptions.SkipNonFinite), CheckpointEvery = checkpointPath is null ? 0 : parse.GetValue(CheckpointOptions.Every),
        };
        // Neither --epochs nor --minutes: a time budget, so the first run ends in minutes, not hours (--epochs N runs exactly N).
        bool defaultBudget = !Minutes.IsGiven(parse) && !TrainingOverrides.Single(o => o.Option.Name == "--epochs").IsGiven(parse);
        if (defaultBudget) options = options with { Minutes = DefaultMinutes };
        int beam = parse.GetValue(BeamOption);
        CliError.Check(config.Validate);
        CliError.Check(options.Validate);
        CliError.Check(new SearchOptions { Beam = beam }.Validate);

        var (train, valid) = ReadCorpora(parse, dataDir);
        foreach (var corpus in new[] { train, valid })
            if (corpus is { SkippedLines: > 0 }) Console.Error.WriteLine($"skipped {corpus.SkippedLines} bad lines in {corpus.Source} (--skip-bad)");
        // Before any training: a run must not end by overwriting its own data, or fail to save after hours of work.
        var inputs = CorpusFiles(parse).Select(f => ("data file", (string?)f)).ToList();
        OutputFile.Check(outPath, "--out", [.. inputs, ("checkpoint to resume", parse.GetValue(CheckpointOptions.Resume))]);
        if (checkpointPath is not null) OutputFile.Check(checkpointPath, "--checkpoint", inputs);
        TrainCheckpoint? resume = null;
        Seq2SeqModel model;
        // A resumed run takes the model, its tokenizers and its config from the checkpoint.
        if (parse.GetValue(CheckpointOptions.Resume) is string resumePath)
        {
            (model, resume) = Seq2SeqCheckpointFile.Load(resumePath);
            ResumeCheck.Refuse(resumePath, parse, ConfigOverrides, model.Config,
                new ResumeCheck.Setting(ArchOption, parse.GetValue(ArchOption), model.Config.Arch));
            (config, arch) = (model.Config, model.Config.Arch); // the banner shows what trains
        }
        else
            model = Seq2SeqModel.Create(config, train);
        Console.Error.WriteLine($"{train.Count} training pairs, vocabulary {model.SourceTokenizer.VocabSize}/{model.TargetTokenizer.VocabSize}" +
                                $"{(config.SharedVocab ? " (shared)" : "")}, {model.ParameterCount():N0} parameters, arch {arch.ToString().ToLowerInvariant()}, {Threading.MaxThreads} threads");
        // With --minutes alone the epoch count is an unreachable bound (1000): not worth a mention.
        bool epochsBound = defaultBudget || TrainingOverrides.Single(o => o.Option.Name == "--epochs").IsGiven(parse);
        if (options.Minutes > 0)
            Console.Error.WriteLine($"budget: {options.Minutes:0.##} min{(epochsBound ? $" or {options.Epochs} epochs, whichever comes first" : "")}" +
                                    (defaultBudget ? " (the default; --minutes M or --epochs N to change)" : ""));
        var process = Process.GetCurrentProcess();
        var cpuStart = process.TotalProcessorTime;
        var result = StopSignals.Run(checkpointPath, stop => TrainingView.Run("train", progress => new Seq2SeqTrainer(model, options)
        {
            Progress = progress, ResumeFrom = resume,
            Checkpoint = checkpointPath is null ? null : c => Seq2SeqCheckpointFile.Save(model, c, checkpointPath),
        }.Fit(train, valid, stop)));
        process.Refresh();
        double trainCpuSeconds = (process.TotalProcessorTime - cpuStart).TotalSeconds; // less than threads × wall on a shared machine
        if (result.Filtered > 0) Console.Error.WriteLine($"left out {result.Filtered} training pairs longer than {options.Seq2Seq.MaxTrainLength} tokens");

        model.Save(outPath);
        long modelBytes = new FileInfo(outPath).Length;
        BleuScore? bleu = null;
        ChrFScore? chrf = null;
        double decodeSeconds = 0;
        if (valid is not null)
        {
            var clock = Stopwatch.StartNew();
            var hyps = Seq2SeqSearch.Translate(model, valid.Pairs.Select(p => p.Source).ToArray(), new SearchOptions { Beam = beam });
            decodeSeconds = clock.Elapsed.TotalSeconds;
            var refs = valid.Pairs.Select(p => p.Target).ToArray();
            bleu = Bleu.CorpusScore(hyps, refs);
            chrf = ChrF.CorpusScore(hyps, refs);
            Console.Error.WriteLine($"validation ({valid.Source}, beam {beam}): {bleu}; {chrf}; loss {result.ValidationLoss:F3}");
        }
        Console.Error.WriteLine($"saved {outPath} ({modelBytes:N0} bytes) after {result.EpochsRun} epochs, {result.Steps} steps, {result.TrainSeconds:F1}s of training" +
                                (result.BudgetReached ? $" (the {options.Minutes:0.##}-minute budget ran out)" : ""));

        if (json)
            JsonLine.Print(new TrainTranslateOutput(bleu is null ? null : Math.Round(bleu.Score, 2), chrf is null ? null : Math.Round(chrf.Score, 2),
                result.ValidationLoss is double vl ? Math.Round(vl, 4) : null, Math.Round(result.FinalTrainLoss, 4), Math.Round(result.TrainSeconds, 1),
                Math.Round(result.TokensPerSecond, 1), Math.Round(trainCpuSeconds, 1), result.EpochsRun, result.Steps, result.BestEpoch,
                model.ParameterCount(), modelBytes, beam, Math.Round(decodeSeconds, 1), Process.GetCurrentProcess().PeakWorkingSet64,
                arch.ToString().ToLowerInvariant(), outPath), CliJson.Default.TrainTranslateOutput);
        return ExitCodes.Ok;
    }

    private static (ParallelCorpus Train, ParallelCorpus? Valid) ReadCorpora(ParseResult parse, string? dataDir)
    {
        string src = parse.GetValue(SrcOption)!;
        string? tgt = parse.GetValue(TgtOption);
        bool named = !File.Exists(src);
        bool skipBad = parse.GetValue(SharedOptions.SkipBad);
        var train = Read(src, tgt, "train.de", "train.en", dataDir, skipBad);
        string? validSrc = parse.GetValue(ValidSrcOption);
        string? validTgt = parse.GetValue(ValidTgtOption);
        if (validSrc is null && validTgt is not null) throw new CliError("--valid-tgt needs --valid-src.", ExitCodes.Usage);
        ParallelCorpus? valid = validSrc is not null
            ? Read(validSrc, validTgt, "val.de", "val.en", dataDir, skipBad)
            : named && !src.Contains('/') ? Read(src, tgt ?? src, "val.de", "val.en", dataDir, skipBad) : null;
        return (train, valid);
    }

    // The files the corpus arguments name, as given (a dataset name names no file of the user's to protect).
    private static IEnumerable<string> CorpusFiles(ParseResult parse) =>
        new[] { parse.GetValue(SrcOption), parse.GetValue(TgtOption), parse.GetValue(ValidSrcOption), parse.GetValue(ValidTgtOption) }
            .OfType<string>().Where(File.Exists);

    // Two aligned files, or one TSV when the target is not given. A dataset name picks its default files.
    private static ParallelCorpus Read(string src, string? tgt, string defaultSrc, string defaultTgt, string? dataDir, bool skipBad)
    {
        string srcPath = DatasetArgument.Resolve(src, defaultSrc, dataDir);
        if (tgt is null)
            return File.Exists(src) ? ParallelCorpus.ReadTsv(srcPath, skipBad) : ParallelCorpus.Read(srcPath, DatasetArgument.Resolve(src, defaultTgt, dataDir), skipBad);
        return ParallelCorpus.Read(srcPath, DatasetArgument.Resolve(tgt, defaultTgt, dataDir), skipBad);
    }
}
