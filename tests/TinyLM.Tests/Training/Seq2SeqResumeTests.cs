using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Training;

/// <summary>Translation runs on the one trainer loop, so it gains checkpoints and exact resume like the other tasks.</summary>
public class Seq2SeqResumeTests
{
    private static readonly ByteBpeTokenizer Bytes = ByteBpeTokenizer.BytesOnly();

    private static ParallelCorpus Reversals(int count, int seed)
    {
        var rng = new Random(seed);
        var pairs = new List<SentencePair>();
        for (int i = 0; i < count; i++)
        {
            var chars = new char[3 + rng.Next(4)];
            for (int j = 0; j < chars.Length; j++) chars[j] = (char)('a' + rng.Next(8));
            var word = new string(chars);
            pairs.Add(new SentencePair(word, new string(chars.Reverse().ToArray()), i + 1));
        }
        return new ParallelCorpus("reverse", pairs);
    }

    private static Seq2SeqModel Model() =>
        Seq2SeqModel.Create(Seq2SeqConfig.Tiny with { Arch = Seq2SeqArch.Transformer, EmbedDim = 16, Hidden = 32, Heads = 2, Layers = 1 }, Bytes, Bytes);

    [Fact]
    public void Resuming_from_a_mid_epoch_checkpoint_gives_the_same_weights_and_best_epoch()
    {
        var train = Reversals(160, 3);
        var valid = Reversals(40, 4);
        var options = TrainOptions.ForSeq2Seq with { Epochs = 3, LearningRate = 3e-3f, WarmupSteps = 5, CheckpointEvery = 7, Seq2Seq = new() { BatchTokens = 128 } };

        var straight = Model();
        var checkpoints = new List<TrainCheckpoint>();
        var full = new Seq2SeqTrainer(straight, options) { Checkpoint = checkpoints.Add }.Fit(train, valid);
        Assert.True(full.Steps > 14, $"{full.Steps} steps: too few for a mid-run checkpoint");
        var middle = checkpoints[1];
        Assert.Equal(14, middle.Step);

        var resumed = Model();
        var again = new Seq2SeqTrainer(resumed, options) { ResumeFrom = middle }.Fit(train, valid);
        Assert.Equal(full.Steps, again.Steps);
        var a = straight.Parameters().Select(p => p.ToArray()).ToList();
        var b = resumed.Parameters().Select(p => p.ToArray()).ToList();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
        // The best weights are restored at the end and scored by validation loss (not stored as an "accuracy").
        Assert.NotNull(full.ValidationLoss);
        Assert.Equal(Seq2SeqTrainer.Loss(straight, valid), full.ValidationLoss!.Value, 5);
    }
}
