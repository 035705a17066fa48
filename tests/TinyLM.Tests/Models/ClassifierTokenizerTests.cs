using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Models;

/// <summary>The classifier takes any tokenizer (ITokenizer) whose padding id is 0, like the other tasks.</summary>
[Collection("Serial")]
public class ClassifierTokenizerTests
{
    [Fact]
    public void A_char_tokenizer_classifier_trains_saves_and_loads_the_same()
    {
        var train = ToyTopics.Make(120, seed: 5);
        var chars = CharTokenizer.Fit(train.Examples.Select(e => e.Text), specials: [CharTokenizer.PadToken, CharTokenizer.UnknownToken]);
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Cnn, EmbedDim = 8, Hidden = 8, KernelWidths = [3, 5], MaxLength = 200, Pooling = PoolingKind.Max,
        }, chars, train.Examples);
        Assert.Null(model.Words);
        model.Fit(train, options: new TrainOptions { Epochs = 2, BatchSize = 16, LearningRate = 1e-2f });
        var texts = ToyTopics.Make(20, seed: 6).Examples.Select(e => e.Text).ToArray();
        using var dir = new TinyLM.Tests.Text.TempDir();
        string path = Path.Combine(dir.Path, "chars.tlm");
        model.Save(path);
        var loaded = TextClassifierFile.Load(path);
        Assert.Equal("char", loaded.Tokenizer.Kind);
        Assert.Equal(model.PredictProbabilities(texts), loaded.PredictProbabilities(texts));

        var noPad = CharTokenizer.Fit(train.Examples.Select(e => e.Text));
        Assert.Contains("padding id", Assert.Throws<ArgumentException>(() => TextClassifier.Create(new TextClassifierConfig(), noPad, train.Examples)).Message);
        var bigrams = Assert.Throws<ArgumentException>(() => TextClassifier.Create(new TextClassifierConfig { WordBigrams = true, Encoder = EncoderKind.Bag }, chars, train.Examples));
        Assert.Contains("word tokenizer", bigrams.Message);
    }
}
