using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Models;

[Collection("Serial")]
public class TextClassifierTests
{
    private static TextClassifierConfig Small(EncoderKind encoder) => new()
    {
        Encoder = encoder, VocabSize = 100, MaxLength = 16, EmbedDim = 16, Hidden = 12, Layers = 1, Heads = 2,
        KernelWidths = [2, 3], Pooling = encoder == EncoderKind.Transformer ? PoolingKind.Mean : PoolingKind.Last,
        BigramBuckets = encoder == EncoderKind.Bag ? 64 : 0,
    };

    private static TrainOptions Quick(EncoderKind encoder) => new()
    {
        Epochs = encoder == EncoderKind.Bag ? 12 : 6, BatchSize = 8,
        LearningRate = encoder == EncoderKind.Bag ? 2e-2f : 1e-2f,
    };

    [Theory]
    [InlineData(EncoderKind.Bag)]
    [InlineData(EncoderKind.Cnn)]
    [InlineData(EncoderKind.BiLstm)]
    [InlineData(EncoderKind.BiGru)]
    [InlineData(EncoderKind.Transformer)]
    public void Every_encoder_learns_the_toy_topics(EncoderKind encoder)
    {
        var train = ToyTopics.Make(240, seed: 1);
        var test = ToyTopics.Make(90, seed: 2);
        var model = TextClassifier.Create(Small(encoder), train.Examples);
        var result = model.Fit(train, options: Quick(encoder));
        var report = model.Evaluate(test);
        Assert.True(report.Accuracy >= 0.9, $"{encoder}: test accuracy {report.Accuracy:P1} after {result.EpochsRun} epochs (train loss {result.FinalTrainLoss:F3})");
    }

    [Fact]
    public void Same_seed_gives_the_same_weights_bit_for_bit_at_one_and_two_threads()
    {
        var train = ToyTopics.Make(64, seed: 3);
        float[][] Run(int threads)
        {
            int saved = Threading.MaxThreads;
            Threading.MaxThreads = threads;
            try
            {
                var model = TextClassifier.Create(Small(EncoderKind.BiLstm) with { Dropout = 0.3f }, train.Examples);
                model.Fit(train, options: Quick(EncoderKind.BiLstm) with { Epochs = 2, Classifier = new() { WarmStartEpochs = 1 } });
                return model.Parameters().Select(p => p.ToArray()).ToArray();
            }
            finally
            {
                Threading.MaxThreads = saved;
            }
        }
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Length, two.Length);
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
    }

    [Fact]
    public void Saved_model_predicts_exactly_like_the_original()
    {
        var train = ToyTopics.Make(60, seed: 4);
        var model = TextClassifier.Create(Small(EncoderKind.BiGru), train.Examples);
        model.Fit(train, options: Quick(EncoderKind.BiGru) with { Epochs = 1 });
        var path = Path.Combine(Path.GetTempPath(), $"tinylm-{Guid.NewGuid():N}.tlm");
        try
        {
            model.Save(path);
            var loaded = TextClassifierFile.Load(path);
            var texts = ToyTopics.Make(20, seed: 5).Examples.Select(e => e.Text).ToArray();
            var expected = model.PredictProbabilities(texts);
            var actual = loaded.PredictProbabilities(texts);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
            Assert.Equal(model.Labels.Labels, loaded.Labels.Labels);
            Assert.Equal(model.Config with { KernelWidths = [] }, loaded.Config with { KernelWidths = [] });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Truncated_model_file_fails_with_a_message_naming_it()
    {
        var train = ToyTopics.Make(30, seed: 6);
        var model = TextClassifier.Create(Small(EncoderKind.Bag), train.Examples);
        var path = Path.Combine(Path.GetTempPath(), $"tinylm-{Guid.NewGuid():N}.tlm");
        try
        {
            model.Save(path);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var error = Assert.ThrowsAny<IOException>(() => TextClassifierFile.Load(path));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Early_stopping_restores_the_best_validation_weights()
    {
        var train = ToyTopics.Make(90, seed: 7);
        var valid = ToyTopics.Make(45, seed: 8, source: "valid.tsv");
        var model = TextClassifier.Create(Small(EncoderKind.Bag), train.Examples);
        var result = model.Fit(train, valid, Quick(EncoderKind.Bag) with { Epochs = 8, Patience = 2 });
        Assert.NotNull(result.BestValidationAccuracy);
        Assert.Equal(result.BestValidationAccuracy!.Value, model.Evaluate(valid).Accuracy, 12);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_gives_the_same_weights_as_an_uninterrupted_run()
    {
        var train = ToyTopics.Make(48, seed: 9);
        var options = Quick(EncoderKind.BiLstm) with { Epochs = 2, CheckpointEvery = 3 };
        var straight = TextClassifier.Create(Small(EncoderKind.BiLstm), train.Examples);
        TrainCheckpoint? checkpoint = null;
        new ClassifierTrainer(straight, options) { Checkpoint = c => checkpoint ??= c }.Fit(train);
        Assert.NotNull(checkpoint);

        var resumed = TextClassifier.Create(Small(EncoderKind.BiLstm), train.Examples);
        new ClassifierTrainer(resumed, options) { ResumeFrom = checkpoint }.Fit(train);
        var a = straight.Parameters().ToArray();
        var b = resumed.Parameters().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToArray(), b[i].ToArray());
    }

    [Fact]
    public void Evaluating_a_label_the_model_never_saw_names_file_and_line()
    {
        var train = ToyTopics.Make(30, seed: 10);
        var model = TextClassifier.Create(Small(EncoderKind.Bag), train.Examples);
        var data = new TextDataset("eval.tsv", [new TextExample("oil barrel", "crude", 1), new TextExample("wheat", "sport", 2)]);
        var error = Assert.Throws<DataFormatException>(() => model.Evaluate(data));
        Assert.Contains("eval.tsv:2", error.Message);
        Assert.Contains("sport", error.Message);
    }
}
