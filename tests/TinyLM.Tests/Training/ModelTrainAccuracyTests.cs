using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Training;

namespace TinyLM.Tests.Training;

/// <summary>Issue 21: an epoch line of a mixture model measures the model that is saved, not only its network.</summary>
public class ModelTrainAccuracyTests
{
    private static TextClassifierConfig Bag(float naiveBayes) => new()
    {
        Encoder = EncoderKind.Bag, VocabSize = 80, MaxLength = 16, EmbedDim = 8, Pooling = PoolingKind.Mean, NaiveBayesWeight = naiveBayes,
    };

    private sealed class Collect : IProgress<TrainProgress>
    {
        public List<TrainProgress> Reports { get; } = [];
        public void Report(TrainProgress value) => Reports.Add(value);
    }

    [Fact]
    public void Without_validation_a_mixtures_epoch_end_scores_the_whole_model_on_the_training_texts()
    {
        var train = ToyTopics.Make(120, seed: 3);
        var model = TextClassifier.Create(Bag(0.5f), train.Examples);
        var progress = new Collect();
        new ClassifierTrainer(model, new TrainOptions { Epochs = 2, BatchSize = 16 }) { Progress = progress }.Fit(train);
        var ends = progress.Reports.Where(r => r.Milestone).ToList();
        Assert.Equal(2, ends.Count);
        Assert.All(ends, r => Assert.NotNull(r.ModelTrainAccuracy));
        Assert.All(progress.Reports.Where(r => !r.Milestone), r => Assert.Null(r.ModelTrainAccuracy));
        Assert.Equal(model.Mixture.Evaluate(train).Accuracy, ends[^1].ModelTrainAccuracy!.Value, 12);
    }

    [Fact]
    public void A_network_alone_or_a_run_with_validation_reports_no_such_figure()
    {
        var train = ToyTopics.Make(120, seed: 3);
        var alone = new Collect();
        new ClassifierTrainer(TextClassifier.Create(Bag(0f), train.Examples), new TrainOptions { Epochs = 1, BatchSize = 16 }) { Progress = alone }.Fit(train);
        Assert.All(alone.Reports, r => Assert.Null(r.ModelTrainAccuracy));

        var validated = new Collect();
        new ClassifierTrainer(TextClassifier.Create(Bag(0.5f), train.Examples), new TrainOptions { Epochs = 1, BatchSize = 16 }) { Progress = validated }
            .Fit(train, ToyTopics.Make(40, seed: 5));
        Assert.All(validated.Reports, r => Assert.Null(r.ModelTrainAccuracy));
        Assert.NotNull(validated.Reports.Last(r => r.Milestone).ValidationAccuracy);
    }
}
