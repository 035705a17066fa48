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
    private static readonly Option<string> OutOption = new("--out") { Description = "Where to write the model (.tlm)", Required = true };
    private static readonly Option<Seq2SeqArch?> ArchOption = new("--arch") { Description = "rnn | transformer (default transformer)" };
    private static readonly Option<RnnAttention?> AttentionOption = new("--attention") { Description = "RNN attention: dot (Luong) | additive (Bahdanau)" };
    private static readonly Option<bool> InputFeedingOption = new("--input-feeding") { Description = "RNN, dot attention: feed the previous attentional vector into the decoder (slower per token)" };
    private static readonly Option<int?> LayersOption = new("--layers") { Description = "Encoder layers (and as many decoder layers)" };
    private static readonly Option<int?> EmbedOption = new("--embed") { Description = "Embedding width (Transformer: model width)" };
    private static readonly Option<int?> HiddenOption = new("--hidden") { Description = "RNN hidden width / Transformer MLP width" };
    private static readonly Option<int?> HeadsOption = new("--heads") { Description = "Transformer attention heads" };
    private static readonly Option<int?> VocabOption = new("--vocab") { Description = "Byte-level BPE vocabulary size" };
    private static readonly Option<bool> SeparateVocabOption = new("--separate-vocab") { Description = "One vocabulary per language instead of a shared one" };
    private static readonly Option<float?> DropoutOption = new("--dropout") { Description = "Dropout rate" };
    private static readonly Option<int?> EpochsOption = new("--epochs") { Description = "Passes over the training data" };
    private static readonly Option<double?> MinutesOption = new("--minutes") { Description = "Wall-clock training budget (the learning rate decays over it)" };
    private static readonly Option<int?> BatchTokensOption = new("--batch-tokens") { Description = "Padded tokens per batch" };
    private static readonly Option<float?> LrOption = new("--lr") { Description = "Peak learning rate" };
    private static readonly Option<int?> WarmupOption = new("--warmup") { Description = "Warm-up steps" };
    private static readonly Option<int?> MaxLenOption = new("--max-len") { Description = "Training pairs longer than this (tokens) are left out" };
    private static readonly Option<int> BeamOption = new("--beam") { Description = "Beam width for the validation BLEU", DefaultValueFactory = _ => 1 };
    private static readonly Option<ulong> SeedOption = new("--seed") { Description = "Seed: same seed and data give the same model (with --epochs)", DefaultValueFactory = _ => 1UL };
    private static readonly Option<int?> ThreadsOption = new("--threads") { Description = "Threads (default: all cores)" };
    private static readonly Option<string?> DataDirOption = new("--data-dir") { Description = "Where named datasets live (else $TINYLM_DATA, ../shared/datasets, ~/.cache/tinylm)" };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "End with one JSON object with the results" };

    public static Command Create()
    {
        var command = new Command("translate", "Train a translation model (encoder–decoder: BiGRU+attention or Transformer).");
        foreach (var option in new Option[]
                 {
                     SrcOption, TgtOption, ValidSrcOption, ValidTgtOption, OutOption, ArchOption, AttentionOption, InputFeedingOption, LayersOption, EmbedOption,
                     HiddenOption, HeadsOption, VocabOption, SeparateVocabOption, DropoutOption, EpochsOption, MinutesOption, BatchTokensOption,
                     LrOption, WarmupOption, MaxLenOption, BeamOption, SeedOption, ThreadsOption, DataDirOption, JsonOption,
                 })
            command.Options.Add(option);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        if (parse.GetValue(ThreadsOption) is int threads) Threading.MaxThreads = threads;
        string? dataDir = parse.GetValue(DataDirOption);
        bool json = parse.GetValue(JsonOption);
        string outPath = parse.GetValue(OutOption)!;
        ulong seed = parse.GetValue(SeedOption);
        var arch = parse.GetValue(ArchOption) ?? Seq2SeqArch.Transformer;
        var config = Seq2SeqConfig.For(arch);
        config = config with
        {
            Attention = parse.GetValue(AttentionOption) ?? config.Attention,
            InputFeeding = parse.GetValue(InputFeedingOption),
            Layers = parse.GetValue(LayersOption) ?? config.Layers,
            EmbedDim = parse.GetValue(EmbedOption) ?? config.EmbedDim,
            Hidden = parse.GetValue(HiddenOption) ?? config.Hidden,
            Heads = parse.GetValue(HeadsOption) ?? config.Heads,
            VocabSize = parse.GetValue(VocabOption) ?? config.VocabSize,
            SharedVocab = !parse.GetValue(SeparateVocabOption),
            Dropout = parse.GetValue(DropoutOption) ?? config.Dropout,
            Seed = seed,
        };
        var defaults = new Seq2SeqTrainOptions();
        var options = defaults with
        {
            Epochs = parse.GetValue(EpochsOption) ?? (parse.GetValue(MinutesOption) is null ? defaults.Epochs : 1000),
            Minutes = parse.GetValue(MinutesOption) ?? 0,
            BatchTokens = parse.GetValue(BatchTokensOption) ?? defaults.BatchTokens,
            LearningRate = parse.GetValue(LrOption) ?? defaults.LearningRate,
            WarmupSteps = parse.GetValue(WarmupOption) ?? defaults.WarmupSteps,
            MaxTrainLength = parse.GetValue(MaxLenOption) ?? defaults.MaxTrainLength,
            Seed = seed,
        };
        int beam = parse.GetValue(BeamOption);
        try
        {
            config.Validate();
            options.Validate();
            new SearchOptions { Beam = beam }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliError(e.Message, ExitCodes.Usage);
        }

        var (train, valid) = ReadCorpora(parse, dataDir);
        var model = Seq2SeqModel.Create(config, train);
        Console.Error.WriteLine($"{train.Count} training pairs, vocabulary {model.SourceTokenizer.VocabSize}/{model.TargetTokenizer.VocabSize}" +
                                $"{(config.SharedVocab ? " (shared)" : "")}, {model.ParameterCount():N0} parameters, arch {arch.ToString().ToLowerInvariant()}, {Threading.MaxThreads} threads");
        var process = Process.GetCurrentProcess();
        var cpuStart = process.TotalProcessorTime;
        var result = TrainingView.Run("train", progress => new Seq2SeqTrainer(model, options) { Progress = progress }.Fit(train, valid));
        process.Refresh();
        double trainCpuSeconds = (process.TotalProcessorTime - cpuStart).TotalSeconds; // less than threads × wall on a shared machine
        if (result.Filtered > 0) Console.Error.WriteLine($"left out {result.Filtered} training pairs longer than {options.MaxTrainLength} tokens");

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
            Console.Error.WriteLine($"validation ({valid.Source}, beam {beam}): {bleu}; {chrf}; loss {result.ValidLoss:F3}");
        }
        Console.Error.WriteLine($"saved {outPath} ({modelBytes:N0} bytes) after {result.EpochsRun} epochs, {result.Steps} steps, {result.TrainSeconds:F1}s of training");

        if (json)
            JsonLine.Print(w =>
            {
                if (bleu is not null) w.WriteNumber("valid_bleu", Math.Round(bleu.Score, 2));
                if (chrf is not null) w.WriteNumber("valid_chrf", Math.Round(chrf.Score, 2));
                if (result.ValidLoss is double vl) w.WriteNumber("valid_loss", Math.Round(vl, 4));
                w.WriteNumber("train_loss", Math.Round(result.FinalTrainLoss, 4));
                w.WriteNumber("train_seconds", Math.Round(result.TrainSeconds, 1));
                w.WriteNumber("tokens_per_second", Math.Round(result.TokensPerSecond, 1));
                w.WriteNumber("train_cpu_seconds", Math.Round(trainCpuSeconds, 1));
                w.WriteNumber("epochs", result.EpochsRun);
                w.WriteNumber("steps", result.Steps);
                w.WriteNumber("best_epoch", result.BestEpoch);
                w.WriteNumber("parameters", model.ParameterCount());
                w.WriteNumber("model_bytes", modelBytes);
                w.WriteNumber("beam", beam);
                w.WriteNumber("decode_seconds", Math.Round(decodeSeconds, 1));
                w.WriteNumber("peak_memory_bytes", Process.GetCurrentProcess().PeakWorkingSet64);
                w.WriteString("arch", arch.ToString().ToLowerInvariant());
                w.WriteString("model", outPath);
            });
        return ExitCodes.Ok;
    }

    private static (ParallelCorpus Train, ParallelCorpus? Valid) ReadCorpora(ParseResult parse, string? dataDir)
    {
        string src = parse.GetValue(SrcOption)!;
        string? tgt = parse.GetValue(TgtOption);
        bool named = !File.Exists(src);
        var train = Read(src, tgt, "train.de", "train.en", dataDir);
        string? validSrc = parse.GetValue(ValidSrcOption);
        string? validTgt = parse.GetValue(ValidTgtOption);
        if (validSrc is null && validTgt is not null) throw new CliError("--valid-tgt needs --valid-src.", ExitCodes.Usage);
        ParallelCorpus? valid = validSrc is not null
            ? Read(validSrc, validTgt, "val.de", "val.en", dataDir)
            : named && !src.Contains('/') ? Read(src, tgt ?? src, "val.de", "val.en", dataDir) : null;
        return (train, valid);
    }

    // Two aligned files, or one TSV when the target is not given. A dataset name picks its default files.
    private static ParallelCorpus Read(string src, string? tgt, string defaultSrc, string defaultTgt, string? dataDir)
    {
        string srcPath = DatasetArgument.Resolve(src, defaultSrc, dataDir);
        if (tgt is null)
            return File.Exists(src) ? ParallelCorpus.ReadTsv(srcPath) : ParallelCorpus.Read(srcPath, DatasetArgument.Resolve(src, defaultTgt, dataDir));
        return ParallelCorpus.Read(srcPath, DatasetArgument.Resolve(tgt, defaultTgt, dataDir));
    }
}
