using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Training;
using TinyLM.Training.Vectors;

namespace TinyLM.Tests.Training;

[Collection("Serial")]
public sealed class PretrainedEmbeddingsTests
{
    private static readonly TextClassifierConfig Config = new() { Encoder = EncoderKind.Cnn, VocabSize = 100, MaxLength = 16, EmbedDim = 4, Hidden = 6 };

    // Distinct values per word so a row copied to the wrong id is caught; "Crude" is cased to exercise the lower-cased lookup.
    private static WordVectors Vectors(int dim = 4)
    {
        string[] words = ["oil", "Crude", "wheat", "notinthedata", "shares"];
        var values = new float[words.Length * dim];
        for (int i = 0; i < values.Length; i++) values[i] = 10 + i * 0.5f;
        return new WordVectors(words, dim, values);
    }

    [Fact]
    public void Rows_of_vocabulary_words_get_their_vector_and_every_other_row_keeps_its_random_start()
    {
        var train = ToyTopics.Make(60, seed: 3);
        var model = TextClassifier.Create(Config, train.Examples);
        var before = model.Embedding.Weight.ToArray();
        var vectors = Vectors();

        var report = PretrainedEmbeddings.Apply(model, vectors);

        var words = model.Words!;
        int vocabularyWords = words.VocabSize - 2; // padding and <oov> are not words
        Assert.Equal(new PretrainedEmbeddingReport(4, vocabularyWords), report);
        Assert.Equal(vocabularyWords - 4, report.Missing);
        var after = model.Embedding.Weight.ToArray();
        var expected = new Dictionary<int, int> // vocabulary id → row of the vectors
        {
            [words.WordIndex["oil"]] = 0, [words.WordIndex["crude"]] = 1, [words.WordIndex["wheat"]] = 2, [words.WordIndex["shares"]] = 4,
        };
        for (int id = 0; id < words.VocabSize; id++)
        {
            var row = after.AsSpan(id * 4, 4).ToArray();
            if (expected.TryGetValue(id, out int v))
                Assert.Equal(vectors.Row(v).ToArray(), row);
            else
                Assert.Equal(before.AsSpan(id * 4, 4).ToArray(), row);
        }
    }

    [Fact]
    public void Frozen_vectors_stay_as_loaded_through_training_while_unfrozen_ones_move()
    {
        var train = ToyTopics.Make(48, seed: 9);
        var options = new TrainOptions { Epochs = 2, BatchSize = 8, LearningRate = 1e-2f };

        var frozen = TextClassifier.Create(Config, train.Examples);
        PretrainedEmbeddings.Apply(frozen, Vectors());
        var loaded = frozen.Embedding.Weight.ToArray();
        var otherBefore = frozen.Output.Parameters().Select(p => p.ToArray()).ToArray();
        new ClassifierTrainer(frozen, options with { Classifier = new() { FreezeEmbeddings = true } }).Fit(train);
        Assert.Equal(loaded, frozen.Embedding.Weight.ToArray());
        Assert.NotEqual(otherBefore, frozen.Output.Parameters().Select(p => p.ToArray()).ToArray()); // the rest did train

        var trained = TextClassifier.Create(Config, train.Examples);
        PretrainedEmbeddings.Apply(trained, Vectors());
        Assert.Equal(loaded, trained.Embedding.Weight.ToArray()); // same seed, same start
        new ClassifierTrainer(trained, options).Fit(train);
        int oil = trained.Words!.WordIndex["oil"];
        Assert.NotEqual(loaded.AsSpan(oil * 4, 4).ToArray(), trained.Embedding.Weight.ToArray().AsSpan(oil * 4, 4).ToArray());
    }

    [Fact]
    public void Vectors_of_another_width_are_refused_naming_both_widths()
    {
        var model = TextClassifier.Create(Config, ToyTopics.Make(30, seed: 1).Examples);
        var before = model.Embedding.Weight.ToArray();
        var e = Assert.Throws<ArgumentException>(() => PretrainedEmbeddings.Apply(model, Vectors(dim: 5)));
        Assert.Contains("5 wide", e.Message);
        Assert.Contains("4 wide", e.Message);
        Assert.Equal(before, model.Embedding.Weight.ToArray());
    }
}
