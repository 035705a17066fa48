using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Training;

namespace TinyLM.Tests.Training;

[Collection("Serial")]
public sealed class FreezeEmbeddingsTests
{
    [Fact]
    public void Frozen_embeddings_keep_their_warm_start_while_the_rest_trains_and_stay_trainable_afterwards()
    {
        var train = ToyTopics.Make(48, seed: 9);
        var config = new TextClassifierConfig { Encoder = EncoderKind.BiLstm, VocabSize = 100, MaxLength = 16, EmbedDim = 16, Hidden = 12 };
        var options = new TrainOptions { Epochs = 2, BatchSize = 8, LearningRate = 1e-2f, Classifier = new() { WarmStartEpochs = 2, FreezeEmbeddings = true } };

        // The warm start alone, to know what the table must still hold after training.
        var reference = TextClassifier.Create(config, train.Examples);
        EmbeddingWarmStart.Apply(reference, train, options.Classifier.WarmStartEpochs, options.Seed);

        var model = TextClassifier.Create(config, train.Examples);
        var before = model.Parameters().Select(p => p.ToArray()).ToArray();
        var result = new ClassifierTrainer(model, options).Fit(train);
        Assert.Equal(12, result.Steps);
        Assert.Equal(reference.Embedding.Weight.ToArray(), model.Embedding.Weight.ToArray());
        var after = model.Parameters().ToArray();
        int table = Array.FindIndex(after, p => ReferenceEquals(p, model.Embedding.Weight));
        Assert.NotEqual(before[table], after[table].ToArray()); // the warm start did change it
        for (int i = 0; i < after.Length; i++)
            if (i != table) Assert.NotEqual(before[i], after[i].ToArray());
        Assert.True(model.Embedding.Weight.RequiresGrad);
    }
}
