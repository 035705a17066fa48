using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Generate;

/// <summary><c>tinylm train lm</c>: train a GPT- or llama-style language model on a raw text file (nanoGPT defaults).</summary>
public static class TrainCausalLMCommand
{
    /// <summary>GEMM FLOP/s at 2 threads on the reference machine (OpenBLAS), the denominator of MFU.</summary>
    private const double ReferenceFlops = 180e9;

    private static readonly Option<string> DataOption = new("--data") { Description = "Raw text: a file, or a dataset name such as tinyshakespeare", Required = true };
    private static readonly Option<string> OutOption = SharedOptions.Out();
    private static readonly Option<string> TokenizerOption = new("--tokenizer") { Description = "char | bpe", DefaultValueFactory = _ => "char" };
    private static readonly Option<int> VocabOption = new("--vocab") { Description = "BPE vocabulary size", DefaultValueFactory = _ => 512 };
    private static readonly Option<string> ArchOption = new("--arch") { Description = "gpt (learned positions, LayerNorm, GELU) | llama (RoPE, RMSNorm, SwiGLU)", DefaultValueFactory = _ => "gpt" };
    private static readonly Option<int> LayersOption = new("--layers") { Description = "Decoder blocks", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> HeadsOption = new("--heads") { Description = "Attention heads", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> KvHeadsOption = new("--kv-heads") { Description = "Key/value heads (GQA; 0 = heads)", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> EmbedOption = new("--embed") { Description = "Model width", DefaultValueFactory = _ => 128 };
    private static readonly Option<int> ContextOption = new("--context") { Description = "Context length", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => 12 };
    private static readonly Option<int> AccumOption = new("--grad-accum") { Description = "Micro-batches per step", DefaultValueFactory = _ => 1 };
    private static readonly Option<int> StepsOption = new("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 2000 };
    private static readonly Option<float> LrOption = new("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 1e-3f };
    private static readonly Option<float?> MinLrOption = new("--min-lr") { Description = "Learning rate at the end of the decay (default: lr/10)" };
    private static readonly Option<string> DecayOption = new("--decay") { Description = "Decay after the warmup: cosine | linear | none", DefaultValueFactory = _ => "cosine" };
    private static readonly Option<int> WarmupOption = new("--warmup") { Description = "Warmup steps", DefaultValueFactory = _ => 100 };
    private static readonly Option<float> Beta1Option = new("--beta1") { Description = "AdamW β₁", DefaultValueFactory = _ => 0.9f };
    private static readonly Option<float> Beta2Option = new("--beta2") { Description = "AdamW β₂", DefaultValueFactory = _ => 0.99f };
    private static readonly Option<float> WeightDecayOption = new("--weight-decay") { Description = "AdamW decoupled weight decay on matrices", DefaultValueFactory = _ => 0.1f };
    private static readonly Option<bool> EmbedDecayOption = new("--embed-decay") { Description = "Weight decay on the embedding tables too (true | false)", DefaultValueFactory = _ => true };
    private static readonly Option<bool> TieOption = new("--tie") { Description = "Output projection tied to the token embedding (true | false)", DefaultValueFactory = _ => true };
    private static readonly Option<bool> ZeroInitOption = new("--zero-init-residual") { Description = "Start the blocks' output projections (attention wo, MLP down) at zero (true | false)", DefaultValueFactory = _ => false };
    private static readonly Option<string> PositionsOption = new("--positions")
    {
        Description = "rotary (RoPE inside attention; the default for both archs) | learned (a position table added to the embeddings, as GPT-2/nanoGPT)",
        DefaultValueFactory = _ => "rotary",
    };
    private static readonly Option<bool> BiasOption = new("--bias") { Description = "Biases in linear layers and norms (GPT-2 style; nanoGPT's train.py defaults to none)" };
    private static readonly Option<float> DropoutOption = new("--dropout") { Description = "Dropout rate", DefaultValueFactory = _ => 0f };
    private static readonly Option<int> EvalEveryOption = new("--eval-every") { Description = "Estimate train/val loss every N steps", DefaultValueFactory = _ => 250 };
    private static readonly Option<int> EvalBatchesOption = new("--eval-batches") { Description = "Batches per loss estimate", DefaultValueFactory = _ => 20 };
    private static readonly Option<bool> EvalFullOption = new("--eval-full") { Description = "Also report the loss over the whole validation split (every non-overlapping window) at the end as val_loss_full" };
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1337);

    private static readonly SharedOptions.Checkpointing CheckpointOptions = SharedOptions.Checkpoint(500);

    public static Command Create()
    {
        var command = new Command("lm", "Train a generative language model on a raw text file (nanoGPT's CPU defaults: 4 layers, 4 heads, 128 wide, context 64; rotary positions unless --positions learned).");
        command.AddOptions([
            DataOption, OutOption, TokenizerOption, VocabOption, ArchOption, LayersOption, HeadsOption, KvHeadsOption, EmbedOption,
            ContextOption, BatchOption, AccumOption, StepsOption, LrOption, MinLrOption, DecayOption, WarmupOption, Beta1Option, Beta2Option,
            WeightDecayOption, EmbedDecayOption, TieOption, ZeroInitOption, PositionsOption, BiasOption, DropoutOption, EvalEveryOption,
            EvalBatchesOption, EvalFullOption, SeedOption, SharedOptions.Threads, .. CheckpointOptions.All, SharedOptions.SkipNonFinite,
            SharedOptions.DataDir, SharedOptions.Json,
        ]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string outPath = parse.GetValue(OutOption)!, tokenizerKind = parse.GetValue(TokenizerOption)!;
        string? checkpointPath = parse.GetValue(CheckpointOptions.File), resumePath = parse.GetValue(CheckpointOptions.Resume);
        ulong seed = parse.GetValue(SeedOption);
        var decay = parse.GetValue(DecayOption) switch
        {
            "cosine" => ScheduleKind.Cosine,
            "linear" => ScheduleKind.Linear,
            "none" => ScheduleKind.Constant,
            var other => throw new CliError($"--decay must be cosine, linear or none, got '{other}'.", ExitCodes.Usage),
        };
        var options = TrainOptions.ForCausalLM with
        {
            BatchSize = parse.GetValue(BatchOption), GradientAccumulation = parse.GetValue(AccumOption), Steps = parse.GetValue(StepsOption),
            LearningRate = parse.GetValue(LrOption), MinLearningRate = parse.GetValue(MinLrOption) ?? parse.GetValue(LrOption) / 10,
            Schedule = decay, WarmupSteps = parse.GetValue(WarmupOption), Beta1 = parse.GetValue(Beta1Option), Beta2 = parse.GetValue(Beta2Option),
            WeightDecay = parse.GetValue(WeightDecayOption), Seed = seed,
            SkipNonFinite = parse.GetValue(SharedOptions.SkipNonFinite),
            CheckpointEvery = checkpointPath is null ? 0 : parse.GetValue(CheckpointOptions.Every),
            CausalLM = new()
            {
                DecayEmbeddings = parse.GetValue(EmbedDecayOption), FullValidation = parse.GetValue(EvalFullOption),
                EvalEvery = parse.GetValue(EvalEveryOption), EvalBatches = parse.GetValue(EvalBatchesOption),
            },
        };
        var baseConfig = parse.GetValue(ArchOption) switch
        {
            "gpt" => CausalLMConfig.NanoGptShakespeareCpu,
            "llama" => CausalLMConfig.Stories15M with { TieWeights = true },
            var other => throw new CliError($"--arch must be gpt or llama, got '{other}'.", ExitCodes.Usage),
        };
        var positions = parse.GetValue(PositionsOption) switch
        {
            "learned" => PositionKind.Learned,
            "rotary" => PositionKind.Rotary,
            var other => throw new CliError($"--positions must be learned or rotary, got '{other}'.", ExitCodes.Usage),
        };
        if (tokenizerKind is not ("char" or "bpe")) throw new CliError($"--tokenizer must be char or bpe, got '{tokenizerKind}'.", ExitCodes.Usage);
        CliError.Check(options.Validate);

        string dataPath = DatasetArgument.Resolve(parse.GetValue(DataOption)!, "input.txt", parse.GetValue(SharedOptions.DataDir));
        // Before any training: a run must not end by overwriting its own data, or fail to save after hours of work.
        OutputFile.Check(outPath, "--out", ("training data", dataPath), ("checkpoint to resume", resumePath));
        if (checkpointPath is not null) OutputFile.Check(checkpointPath, "--checkpoint", ("training data", dataPath));
        string text = TextFile.ReadAllText(dataPath);
        // An empty corpus would otherwise surface as the model config's "VocabSize must be ≥ 2, got 0".
        if (string.IsNullOrWhiteSpace(text))
            throw new CliError($"{dataPath}: the training text is empty; give a file with some text in it.", ExitCodes.BadInput);
        TokenizedCausalLM lm;
        TrainCheckpoint? resume = null;
        int[] ids;
        if (resumePath is not null)
        {
            (lm, resume) = CausalLMCheckpointFile.Load(resumePath);
            var c = lm.Model.Config;
            ResumeCheck.Refuse<CausalLMConfig>(resumePath, parse, [], c,
                new ResumeCheck.Setting(LayersOption, parse.GetValue(LayersOption), c.Layers),
                new ResumeCheck.Setting(HeadsOption, parse.GetValue(HeadsOption), c.Heads),
                new ResumeCheck.Setting(EmbedOption, parse.GetValue(EmbedOption), c.EmbedDim),
                new ResumeCheck.Setting(ContextOption, parse.GetValue(ContextOption), c.ContextLength),
                new ResumeCheck.Setting(TieOption, parse.GetValue(TieOption), c.TieWeights),
                new ResumeCheck.Setting(BiasOption, parse.GetValue(BiasOption), c.Bias),
                new ResumeCheck.Setting(PositionsOption, positions, c.Positions));
            ids = lm.Tokenizer.Encode(text);
        }
        else
        {
            (var tokenizer, ids) = CausalLMData.Tokenize(text, tokenizerKind, parse.GetValue(VocabOption), options.CausalLM.ValidFraction);
            var config = baseConfig with
            {
                VocabSize = tokenizer.VocabSize, Layers = parse.GetValue(LayersOption), Heads = parse.GetValue(HeadsOption),
                KvHeads = parse.GetValue(KvHeadsOption), EmbedDim = parse.GetValue(EmbedOption), ContextLength = parse.GetValue(ContextOption),
                HiddenDim = 0, Dropout = parse.GetValue(DropoutOption), Seed = seed,
                Bias = parse.GetValue(BiasOption), TieWeights = parse.GetValue(TieOption), Positions = positions,
                ZeroInitResidual = parse.GetValue(ZeroInitOption),
            };
            CliError.Check(config.Validate);
            lm = new TokenizedCausalLM(new CausalLM(config), tokenizer);
        }
        var model = lm.Model;
        var data = new CausalLMData(ids, model.Config.ContextLength, options.CausalLM.ValidFraction, dataPath);
        Console.Error.WriteLine($"{dataPath}: {ids.Length:N0} tokens ({data.Train.Length:N0} train, {data.Valid.Length:N0} valid), " +
                                $"vocabulary {lm.Tokenizer.VocabSize}, {model.ParameterCount():N0} parameters, {Threading.MaxThreads} threads" +
                                (resume is null ? "" : $", resuming at step {resume.Step}"));

        var trainer = new Func<IProgress<TrainProgress>, CausalLMTrainer>(progress => new CausalLMTrainer(model, options)
        {
            Progress = progress, ResumeFrom = resume,
            Checkpoint = checkpointPath is null ? null : c => CausalLMCheckpointFile.Save(lm, c, checkpointPath),
        });
        var result = StopSignals.Run(checkpointPath, stop => TrainingView.Run("train", (IProgress<TrainProgress> progress) => trainer(progress).Fit(data, stop)));
        lm.Save(outPath);

        double flopsPerToken = model.ForwardFlopsPerToken();
        // Training costs forward + backward ≈ 3 × the forward FLOPs (nanoGPT's estimate_mfu).
        double mfu = 3 * flopsPerToken * result.TokensPerSecond / ReferenceFlops;
        Console.Error.WriteLine($"saved {outPath}: val_loss {result.ValidationLoss:F4}, " +
                                (result.FullValidationLoss is double full ? $"val_loss_full {full:F4}, " : "") + $"train_loss {result.FinalTrainLoss:F4}, {result.TrainSeconds:F1}s of training, " +
                                $"{result.TokensPerSecond:F0} tok/s, MFU {mfu:P1} of {ReferenceFlops / 1e9:F0} GFLOP/s");
        if (parse.GetValue(SharedOptions.Json))
            JsonLine.Print(new TrainCausalLMOutput(result.ValidationLoss ?? double.NaN, result.FullValidationLoss, result.FinalTrainLoss, result.TrainSeconds, result.TotalSeconds,
                result.TokensPerSecond, flopsPerToken, model.ParameterCount(), mfu, result.Steps, Threading.MaxThreads, outPath), CliJson.Default.TrainCausalLMOutput);
        return ExitCodes.Ok;
    }
}
