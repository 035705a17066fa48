using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Models;
using TinyLM.Tests.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Training;

public class CausalLMTrainerTests
{
    private const string Corpus = "the cat sat on the mat. the dog sat on the log. ";

    private static (TokenizedCausalLM Lm, CausalLMData Data) Setup(string arch = "gpt")
    {
        var text = string.Concat(Enumerable.Repeat(Corpus, 40));
        var (tokenizer, ids) = CausalLMData.Tokenize(text, "char");
        var config = (arch == "gpt" ? CausalLMTests.Gpt : CausalLMTests.Llama) with { VocabSize = tokenizer.VocabSize, ContextLength = 16, Seed = 2 };
        return (new TokenizedCausalLM(new CausalLM(config), tokenizer), new CausalLMData(ids, 16));
    }

    private static TrainOptions Options => TrainOptions.ForCausalLM with { BatchSize = 4, Steps = 60, LearningRate = 1e-2f, MinLearningRate = 1e-3f, WarmupSteps = 5, CausalLM = new() { EvalEvery = 0, EvalBatches = 4 } };

    [Theory]
    [InlineData("gpt")]
    [InlineData("llama")]
    public void LossFallsOnARepetitiveText(string arch)
    {
        var (lm, data) = Setup(arch);
        var batches = Enumerable.Range(0, 4).Select(_ => data.Batch(data.Valid, 4, new TinyLM.Tensors.Rng(9))).ToList();
        double before = CausalLMTrainer.MeanLoss(lm.Model, batches);
        var result = new CausalLMTrainer(lm.Model, Options).Fit(data);
        Assert.True(result.ValidationLoss < before - 1.0, $"val loss {result.ValidationLoss} vs {before} before training");
        Assert.Equal(60, result.Steps);
        Assert.Equal(60L * 4 * 16, result.Tokens);
    }

    [Fact]
    public void WholeSplitLossIsTheTokenMeanOverEveryNonOverlappingWindow()
    {
        var (lm, data) = Setup();
        var model = CausalLMTests.Randomised(lm.Model.Config);
        int t = data.Context, windows = (data.Valid.Length - 1) / t;
        // Reference: each window alone (batch 1), plain mean — batching by 5 (a ragged last batch) must not change it.
        double sum = 0;
        for (int w = 0; w < windows; w++)
        {
            var x = new TinyLM.Tensors.IntTensor(data.Valid[(w * t)..(w * t + t)], 1, t);
            var y = new TinyLM.Tensors.IntTensor(data.Valid[(w * t + 1)..(w * t + t + 1)], 1, t);
            sum += CausalLMTrainer.MeanLoss(model, [(x, y)]);
        }
        Assert.True(windows % 5 != 0, $"the test needs a ragged last batch ({windows} windows)");
        Assert.Equal(sum / windows, CausalLMTrainer.WholeSplitLoss(model, data.Valid, t, 5), 5);
        Assert.Throws<ArgumentException>(() => CausalLMTrainer.WholeSplitLoss(model, data.Valid[..t], t, 5));
    }

    [Fact]
    public void FullValidationIsReportedOnlyWhenAsked()
    {
        var (lm, data) = Setup();
        var off = new CausalLMTrainer(lm.Model, Options with { Steps = 3 }).Fit(data);
        Assert.Null(off.FullValidationLoss);
        var on = new CausalLMTrainer(lm.Model, Options with { Steps = 3, CausalLM = Options.CausalLM with { FullValidation = true } }).Fit(data);
        Assert.Equal(CausalLMTrainer.WholeSplitLoss(lm.Model, data.Valid, data.Context, 4), on.FullValidationLoss!.Value, 6);
    }

    [Fact]
    public void EmbeddingDecayCanBeTurnedOffWithoutTouchingTheMatrices()
    {
        var (lm, data) = Setup();
        var model = new CausalLM(lm.Model.Config with { TieWeights = false });
        var decayed = model.NamedParameters().Where(kv => CausalLMOptimization.DecayMatricesButEmbeddings(kv.Key, kv.Value)).Select(kv => kv.Key).ToHashSet();
        Assert.DoesNotContain("tok_embeddings.weight", decayed);
        Assert.DoesNotContain("pos_embeddings.weight", decayed);
        Assert.Contains("output.weight", decayed);
        Assert.Contains("layers.0.attention.wq.weight", decayed);
        Assert.DoesNotContain("norm.weight", decayed);
        // With decay on and a zero gradient, AdamW only shrinks: embeddings stay put when excluded.
        var options = Options with { CausalLM = Options.CausalLM with { DecayEmbeddings = false }, WeightDecay = 0.5f, WarmupSteps = 0 };
        var opt = new CausalLMOptimization(model, options);
        var before = model.TokenEmbeddings.Weight.ToArray();
        var wqBefore = model.Blocks[0].NamedParameters().First(kv => kv.Key == "attention.wq.weight").Value.ToArray();
        var (x, y) = data.Batch(data.Train, 2, new Rng(1));
        model.Loss(x, y).Mul(0f).Backward(); // every gradient exactly zero: only the decay moves weights
        opt.Optimizer.LearningRate = opt.Schedule.LearningRate(0);
        opt.Optimizer.Step();
        Assert.Equal(before, model.TokenEmbeddings.Weight.ToArray());
        Assert.NotEqual(wqBefore, model.Blocks[0].NamedParameters().First(kv => kv.Key == "attention.wq.weight").Value.ToArray());
    }

    [Fact]
    public void Beta1AndDecayShapeReachTheOptimizer()
    {
        var (lm, _) = Setup();
        var opt = new CausalLMOptimization(lm.Model, Options with { Beta1 = 0.8f, Schedule = ScheduleKind.Linear, MinLearningRate = 0f });
        Assert.Equal(0.8f, Assert.IsType<TinyLM.Nn.AdamW>(opt.Optimizer).Beta1);
        Assert.Equal(TinyLM.Nn.DecayShape.Linear, Assert.IsType<TinyLM.Nn.WarmupDecayLr>(opt.Schedule).Shape);
        Assert.Equal(1e-2 * (1 - 27 / 55.0), opt.Schedule.LearningRate(5 + 27), 6);
        Assert.Throws<ArgumentException>(() => (Options with { Beta1 = 1f }).Validate());
    }

    [Fact]
    public void ResumingFromACheckpointGivesTheSameWeights()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "ckpt.tlm");
        var (lm, data) = Setup();
        var options = Options with { Steps = 12, CheckpointEvery = 6, GradientAccumulation = 2 };
        TrainCheckpoint? atSix = null;
        new CausalLMTrainer(lm.Model, options)
        {
            Checkpoint = c =>
            {
                if (c.Step != 6) return;
                CausalLMCheckpointFile.Save(lm, c, path);
                atSix = c;
            },
        }.Fit(data);
        Assert.NotNull(atSix);
        var straight = lm.Model.Parameters().Select(p => p.ToArray()).ToList();

        var (resumed, checkpoint) = CausalLMCheckpointFile.Load(path);
        Assert.Equal(6, checkpoint.Step);
        new CausalLMTrainer(resumed.Model, options) { ResumeFrom = checkpoint }.Fit(data);
        var again = resumed.Model.Parameters().Select(p => p.ToArray()).ToList();
        for (int i = 0; i < straight.Count; i++) Assert.Equal(straight[i], again[i]);
    }

    [Fact]
    public void SaveLoadRoundTripKeepsLogitsAndTokenizer()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "lm.tlm");
        var (lm, _) = Setup("llama");
        var withIds = new TokenizedCausalLM(lm.Model, lm.Tokenizer) { BosId = 1, EosId = 2 };
        withIds.Save(path);
        var loaded = CausalLMLoader.Load(path);
        Assert.Equal(lm.Model.Config, loaded.Model.Config);
        Assert.Equal(lm.Tokenizer.ToJson(), loaded.Tokenizer.ToJson());
        Assert.Equal(1, loaded.BosId);
        Assert.Equal(2, loaded.EosId);
        var ids = lm.Tokenizer.Encode("the cat");
        Assert.Equal(lm.Model.CreateRunState().Prefill(ids).ToArray(), loaded.Model.CreateRunState().Prefill(ids).ToArray());
    }

    [Fact]
    public void BadFilesFailClearly()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<FileNotFoundException>(() => CausalLMLoader.Load(Path.Combine(dir.Path, "none.tlm")));
        Assert.Contains("none.tlm", missing.Message);
        string junk = dir.File("junk.bin", "not a model at all");
        Assert.Throws<ModelFormatException>(() => CausalLMLoader.Load(junk));
        string truncated = Path.Combine(dir.Path, "t.tlm");
        Setup().Lm.Save(truncated);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsAny<IOException>(() => CausalLMLoader.Load(truncated));
        Assert.Contains("t.tlm", e.Message);
        Assert.Throws<ArgumentException>(() => new CausalLMData(new int[20], 16));
    }
}
