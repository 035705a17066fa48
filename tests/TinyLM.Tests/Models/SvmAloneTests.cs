using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Models;

/// <summary>λ = 1 (the SVM alone decides): inference skips the network, with the same probabilities as computing it.</summary>
[Collection("Serial")]
public class SvmAloneTests
{
    private static TextClassifier Trained(float nb, float svm, int embedDim = 16, bool svmOnly = false)
    {
        var config = new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, VocabSize = 100, MaxLength = 16, EmbedDim = embedDim, Pooling = PoolingKind.Mean, EmbedInitStd = 0.05f,
            WordBigrams = true, NaiveBayesWeight = nb, LinearSvmWeight = svm, SvmOnly = svmOnly,
        };
        var train = ToyTopics.Make(200, seed: 6);
        var model = TextClassifier.Create(config, train.Examples);
        model.Fit(train, options: new TrainOptions { Epochs = 2, BatchSize = 8, LearningRate = 2e-2f, Classifier = new() { SparseEmbeddingUpdates = true } });
        return model;
    }

    // The probabilities as the model computed them before the skip: the network's logits, then the heads.
    private static float[][] FullPath(TextClassifier model, IReadOnlyList<string> texts)
    {
        var ids = model.Inputs.EncodeAll(texts);
        model.Eval();
        using var noGrad = Tensor.NoGrad();
        var result = new float[texts.Count][];
        foreach (var indices in Batching.Sequential(texts.Count, 7))
        {
            using var scope = new TensorScope();
            var batch = Batching.Pad(ids, indices);
            var network = model.Forward(batch);
            var probs = model.Mixture.Mix(network, batch).Softmax(-1).ToArray();
            for (int i = 0; i < indices.Length; i++) result[indices[i]] = probs.AsSpan(i * model.Labels.Count, model.Labels.Count).ToArray();
        }
        return result;
    }

    [Theory]
    [InlineData(0f, 1f, true)]
    [InlineData(0.5f, 1f, true)]
    [InlineData(0f, 0.75f, false)]
    public void Skipping_the_dead_network_gives_the_same_bits(float nb, float svm, bool alone)
    {
        var model = Trained(nb, svm);
        Assert.Equal(alone, model.Mixture.SvmAlone);
        var texts = ToyTopics.Make(40, seed: 7).Examples.Select(e => e.Text).Append("").Append("nothing known here").ToArray();
        var expected = FullPath(model, texts);
        var actual = model.PredictProbabilities(texts, batchSize: 7);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);

        var quantized = ClassifierQuantizer.Quantize(model, new QuantizationOptions()).Model;
        expected = FullPath(quantized, texts);
        actual = quantized.PredictProbabilities(texts, batchSize: 7);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void An_svm_only_model_predicts_the_same_bits_as_one_with_a_network_and_keeps_them_through_files()
    {
        var wide = Trained(0f, 1f, embedDim: 16);
        var lean = Trained(0f, 1f, svmOnly: true);
        Assert.False(lean.HasNetwork);
        Assert.DoesNotContain(lean.NamedParameters(), p => !p.Key.StartsWith("svm.", StringComparison.Ordinal));
        Assert.Contains("no network", Assert.Throws<InvalidOperationException>(() => lean.Embedding).Message);
        Assert.Equal(wide.LinearSvm!.Weight.ToArray(), lean.LinearSvm!.Weight.ToArray());
        var texts = ToyTopics.Make(40, seed: 8).Examples.Select(e => e.Text).ToArray();
        var expected = wide.PredictProbabilities(texts);
        var actual = lean.PredictProbabilities(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);

        // Saved, quantized and loaded, it stays the SVM alone and predicts what the quantized wide model does.
        var quantizedWide = ClassifierQuantizer.Quantize(wide, new QuantizationOptions()).Model;
        var quantized = ClassifierQuantizer.Quantize(lean, new QuantizationOptions());
        Assert.All(quantized.Layers, l => Assert.StartsWith("svm.", l.Name, StringComparison.Ordinal));
        using var dir = new TinyLM.Tests.Text.TempDir();
        string path = Path.Combine(dir.Path, "svm.tlm");
        quantized.Model.Save(path);
        var loaded = TextClassifierFile.Load(path);
        Assert.True(loaded.Config.SvmOnly);
        Assert.Equal(quantizedWide.PredictProbabilities(texts), loaded.PredictProbabilities(texts));
        Assert.Contains("no network", Assert.Throws<ArgumentException>(() => ClassifierPruner.Prune(lean, new PruningOptions { Sparsity = 0.5 })).Message);
    }
}
