using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;
using TinyLM.Training.Insight;

namespace TinyLM.Tests.Training.Insight;

/// <summary>
/// Token attributions on classifiers trained on the toy topics: integrated gradients keep completeness (scores sum to
/// logit(x) − logit(0) within 1%) on every encoder, match the closed form on the bag, and occlusion matches the saved
/// model's probabilities of the text with a word removed.
/// </summary>
[Collection("Serial")]
public class ClassifierExplainerTests
{
    private const string Text = "the company said crude oil output at the refinery rose this week";

    private static TextClassifierConfig Small(EncoderKind encoder) => new()
    {
        Encoder = encoder, VocabSize = 100, MaxLength = 16, EmbedDim = 16, Hidden = 12, Layers = 1, Heads = 2,
        KernelWidths = [2, 3], Pooling = encoder == EncoderKind.Transformer ? PoolingKind.Mean : PoolingKind.Last,
        BigramBuckets = encoder == EncoderKind.Bag ? 64 : 0,
    };

    private static TextClassifier Trained(TextClassifierConfig config, int epochs)
    {
        var train = ToyTopics.Make(150, seed: 1);
        var model = TextClassifier.Create(config, train.Examples);
        model.Fit(train, options: new TrainOptions { Epochs = epochs, BatchSize = 8, LearningRate = config.Encoder == EncoderKind.Bag ? 2e-2f : 1e-2f });
        return model;
    }

    [Theory]
    [InlineData(EncoderKind.Bag)]
    [InlineData(EncoderKind.Cnn)]
    [InlineData(EncoderKind.BiLstm)]
    [InlineData(EncoderKind.BiGru)]
    [InlineData(EncoderKind.Transformer)]
    public void Integrated_gradients_sum_to_the_logit_difference_within_one_percent_on_every_encoder(EncoderKind encoder)
    {
        var model = Trained(Small(encoder), epochs: encoder == EncoderKind.Bag ? 8 : 4);
        Assert.Equal(AttributionMethod.IntegratedGradients, ClassifierExplainer.DefaultMethod(model));
        var before = model.Parameters().Select(p => p.ToArray()).ToList();
        foreach (string text in new[] { Text, "wheat", "analysts said the group would bid for a stake in the company" })
        for (int label = 0; label < model.Labels.Count; label++)
        {
            var why = ClassifierExplainer.Explain(model, text, label: label);
            Assert.InRange(why.Steps, ClassifierExplainer.DefaultSteps, 16 * ClassifierExplainer.DefaultSteps);
            Assert.Equal(AttributionMethod.IntegratedGradients, why.Method);
            double sum = why.Tokens.Sum(t => (double)t.Score);
            double difference = why.Logit!.Value - why.BaselineLogit!.Value;
            Assert.True(why.CompletenessGap <= 0.01f, $"{encoder} label {label}: Σ scores {sum:F5} vs logit difference {difference:F5} (gap {why.CompletenessGap:P2})");
            Assert.Equal(Math.Abs(sum - difference) / Math.Max(Math.Abs(difference), 1e-6), why.CompletenessGap!.Value, 1e-4);
            // The α = 1 row is the network's own logit for the text.
            Assert.Equal(NetworkLogits(model, text)[label], why.Logit!.Value, 1e-3);
        }
        // Explaining touches no weight and leaves no gradient behind.
        Assert.Equal(before, model.Parameters().Select(p => p.ToArray()).ToList());
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void Integrated_gradients_of_a_bag_are_each_tokens_share_of_the_linear_logit()
    {
        // logit = w · mean(x_t) + b is linear in the path, so IG is exact: score_t = w · x_t / T.
        var model = Trained(Small(EncoderKind.Bag), epochs: 4);
        var ids = model.Inputs.Encode(Text);
        var why = ClassifierExplainer.Explain(model, Text, AttributionMethod.IntegratedGradients, label: 1, steps: 4);
        var table = model.Embedding.Weight.ToArray();
        var w = model.Output.Weight.ToArray();
        int e = model.Embedding.EmbeddingDim;
        for (int t = 0; t < ids.Length; t++)
        {
            double expected = 0;
            for (int j = 0; j < e; j++) expected += (double)w[1 * e + j] * table[ids[t] * e + j];
            Assert.Equal(expected / ids.Length, why.Tokens[t].Score, 1e-4);
            Assert.Equal(ids[t], why.Tokens[t].Id);
        }
        Assert.True(why.CompletenessGap < 1e-4f, $"gap {why.CompletenessGap}");
    }

    [Fact]
    public void Occlusion_is_the_drop_of_the_whole_models_probability_when_a_word_is_left_out()
    {
        // A mixture (network + naive Bayes + SVM) without bigrams: dropping position t is the text without word t.
        var model = Trained(Small(EncoderKind.Cnn) with { NaiveBayesWeight = 0.3f, LinearSvmWeight = 0.3f }, epochs: 3);
        Assert.Equal(AttributionMethod.Occlusion, ClassifierExplainer.DefaultMethod(model));
        const string text = "analysts said wheat corn harvest tonnes today";
        var words = text.Split(' ');
        var why = ClassifierExplainer.Explain(model, text);
        var whole = model.PredictProbabilities([text])[0];
        Assert.Equal(AttributionMethod.Occlusion, why.Method);
        Assert.Equal(Array.IndexOf(whole, whole.Max()), why.Predicted);
        Assert.Equal("grain", model.Labels[why.Predicted]);
        Assert.Equal(whole[why.Label], why.Probability, 1e-5);
        Assert.Equal(words, why.Tokens.Select(t => t.Piece));
        for (int t = 0; t < words.Length; t++)
        {
            string without = string.Join(' ', words.Where((_, i) => i != t));
            Assert.Equal(whole[why.Label] - model.PredictProbabilities([without])[0][why.Label], why.Tokens[t].Score, 1e-5);
        }
        // The class's own keywords carry it; filler words do not.
        Assert.Contains(why.Top(3)[0].Piece, new[] { "wheat", "corn", "harvest", "tonnes" });
    }

    [Fact]
    public void An_svm_alone_is_explained_by_occlusion_and_refuses_gradients()
    {
        var train = ToyTopics.Make(150, seed: 1);
        var model = TextClassifier.Create(Small(EncoderKind.Bag) with { SvmOnly = true, LinearSvmWeight = 1f, BigramBuckets = 0 }, train.Examples);
        model.Fit(train, options: new TrainOptions { Epochs = 1 });
        Assert.NotNull(IntegratedGradients.Unsupported(model));
        Assert.Equal(AttributionMethod.Occlusion, ClassifierExplainer.DefaultMethod(model));
        var why = ClassifierExplainer.Explain(model, "crude oil prices");
        Assert.Equal("crude", model.Labels[why.Label]);
        Assert.Contains(why.Tokens, t => t.Score > 0);
        var error = Assert.Throws<InvalidOperationException>(() => ClassifierExplainer.Explain(model, "crude oil", AttributionMethod.IntegratedGradients));
        Assert.Contains("no network", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_text_and_a_label_outside_the_model_are_refused()
    {
        var model = Trained(Small(EncoderKind.Bag), epochs: 1);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => ClassifierExplainer.Explain(model, "  ")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierExplainer.Explain(model, "oil", label: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierExplainer.Explain(model, "oil", steps: 0));
    }

    [Fact]
    public void Hashed_bigrams_read_as_the_two_words_they_join()
    {
        var model = Trained(Small(EncoderKind.Bag), epochs: 1);
        var ids = model.Inputs.Encode("crude oil price");
        Assert.Equal(5, ids.Length);
        Assert.Equal(["crude", "oil", "price", "crude oil", "oil price"], ClassifierPieces.Of(model, ids));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(32)]
    public void Gauss_legendre_integrates_polynomials_of_degree_2n_minus_1_exactly(int n)
    {
        var (nodes, weights) = GaussLegendre.OnUnitInterval(n);
        Assert.Equal(1.0, weights.Sum(), 1e-12);
        Assert.True(nodes.Zip(nodes.Skip(1)).All(p => p.First < p.Second) && nodes[0] > 0 && nodes[^1] < 1);
        for (int degree = 0; degree <= 2 * n - 1; degree++)
        {
            double integral = nodes.Zip(weights).Sum(p => p.Second * Math.Pow(p.First, degree));
            Assert.Equal(1.0 / (degree + 1), integral, 1e-12);
        }
    }

    private static float[] NetworkLogits(TextClassifier model, string text)
    {
        model.Eval();
        using var noGrad = Tensor.NoGrad();
        return model.Forward(Batching.Pad([model.Inputs.Encode(text)], [0])).ToArray();
    }
}
