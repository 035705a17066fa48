using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Warm-starts a sequence classifier's word embeddings from a quickly trained bag-of-words model on
/// the same data and tokenizer (the fastText model, a few seconds). Recurrent and convolutional
/// encoders trained from random embeddings on a few thousand texts overfit before their embeddings
/// learn which words matter; starting from supervised bag embeddings plays the role that
/// pretrained vectors play in the literature, without needing any outside data.
/// </summary>
public static class EmbeddingWarmStart
{
    /// <summary>
    /// Trains the bag model for <paramref name="epochs"/> at peak rate <paramref name="learningRate"/> (linear decay) and
    /// copies its embedding rows into <paramref name="model"/>.
    /// </summary>
    public static TrainResult Apply(TextClassifier model, TextDataset train, int epochs, ulong seed, float learningRate = 1e-2f)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        var bagConfig = model.Config with
        {
            Encoder = EncoderKind.Bag, BigramBuckets = 0, Pooling = PoolingKind.Mean, Dropout = 0f, Seed = seed,
            // Only its embeddings are kept: no mixture heads to fit (an SVM here was fitted and thrown away).
            NaiveBayesWeight = 0f, LinearSvmWeight = 0f, SvmOnly = false,
        };
        var bag = new TextClassifier(bagConfig, model.Tokenizer, model.Labels);
        var options = new TrainOptions { Epochs = epochs, BatchSize = 32, LearningRate = learningRate, Schedule = ScheduleKind.Linear, Seed = seed };
        var result = new ClassifierTrainer(bag, options).Fit(train);
        bag.Embedding.Weight.AsSpan().CopyTo(model.Embedding.Weight.AsSpan());
        return result;
    }
}
