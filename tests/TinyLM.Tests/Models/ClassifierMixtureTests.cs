using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Models;

/// <summary>The network's logits (Forward) versus what the classifier predicts from (its mixture with the heads).</summary>
[Collection("Serial")]
public class ClassifierMixtureTests
{
    [Fact]
    public void Forward_is_the_network_in_both_modes_and_predictions_come_from_the_mixture()
    {
        var train = ToyTopics.Make(120, seed: 3);
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, VocabSize = 80, MaxLength = 16, EmbedDim = 8, Pooling = PoolingKind.Mean,
            NaiveBayesWeight = 0.5f, LinearSvmWeight = 0.5f,
        }, train.Examples);
        model.Fit(train, options: new TrainOptions { Epochs = 1, BatchSize = 16 });
        var texts = ToyTopics.Make(20, seed: 4).Examples.Select(e => e.Text).ToArray();
        var batch = Batching.Pad(model.Inputs.EncodeAll(texts), [.. Enumerable.Range(0, texts.Length)]);
        using var noGrad = Tensor.NoGrad();
        model.Train();
        var training = model.Forward(batch).ToArray(); // no dropout configured: the same network either way
        model.Eval();
        var evaluation = model.Forward(batch).ToArray();
        Assert.Equal(training, evaluation);

        var mixed = model.Mixture.Logits(batch).ToArray();
        Assert.NotEqual(evaluation, mixed);
        Assert.Equal(model.Mixture.Mix(model.Forward(batch), batch).ToArray(), mixed);
        int c = model.Labels.Count;
        var argmax = Enumerable.Range(0, texts.Length).Select(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(mixed.AsSpan(i * c, c))).ToArray();
        Assert.Equal(argmax, model.Predict(texts));
        Assert.Equal(model.Mixture.Predict(texts), model.Predict(texts));
    }
}

