using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Compression;

/// <summary>The before/after figures of the compression verbs, measured by the library (ClassifierMeasurement, CausalLMMeasurement).</summary>
public sealed class MeasurementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-measure-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_classifier_measurement_is_its_file_size_parameters_and_the_accuracy_evaluate_gives()
    {
        var train = ToyTopics.Make(80, seed: 1);
        var eval = ToyTopics.Make(30, seed: 2);
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, VocabSize = 100, MaxLength = 16, EmbedDim = 8, Pooling = PoolingKind.Mean,
        }, train.Examples);
        string file = Path.Combine(_dir, "bag.tlm");
        model.Save(file);

        var bare = ClassifierMeasurement.Measure(model, file, null);
        Assert.Equal(new FileInfo(file).Length, bare.Bytes);
        Assert.Equal(model.Parameters().Sum(p => (long)p.Length), bare.Parameters);
        Assert.Null(bare.Accuracy);
        Assert.Null(bare.LatencyMsBatch1);

        var (before, after) = ClassifierMeasurement.MeasurePair(model, file, model, file, eval);
        Assert.Equal(model.Evaluate(eval).Accuracy, before.Accuracy);
        Assert.Equal(before.Accuracy, after.Accuracy);
        Assert.True(before.LatencyMsBatch1 > 0 && after.ThroughputBatch64 > 0);
    }

    [Fact]
    public void A_language_model_measurement_is_the_mean_next_token_loss_and_a_decode_speed()
    {
        var tokenizer = CharTokenizer.Fit("abcdefgh \n");
        var config = CausalLMTests.Gpt2 with { VocabSize = tokenizer.VocabSize, ContextLength = 32 };
        var lm = new TokenizedCausalLM(CausalLMTests.Randomised(config, 0.6f), tokenizer);
        string file = Path.Combine(_dir, "lm.tlm");
        lm.Save(file);

        var bare = CausalLMMeasurement.Measure(lm, file, null, trials: 1);
        Assert.Equal(new FileInfo(file).Length, bare.Bytes);
        Assert.Null(bare.ValLoss);
        Assert.Null(bare.ThroughputBatch64);
        Assert.True(bare.LatencyMsBatch1 > 0);
        Assert.Equal(1000 / bare.LatencyMsBatch1, bare.DecodeTokensPerSecond, 9);

        // One window (no longer than the context + 1): the loss is that window's mean negative log-likelihood.
        int[] ids = tokenizer.Encode("abc defg hab cd efgh");
        var measured = CausalLMMeasurement.Measure(lm, file, ids, trials: 1);
        double expected = lm.Model.CreateRunState().NegativeLogLikelihood(ids) / (ids.Length - 1);
        Assert.Equal(expected, measured.ValLoss!.Value, 9);
    }
}
