using Microsoft.Extensions.AI;
using TinyLM.Extensions.AI;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Tests.ExtensionsAI;

/// <summary>The embedding generator used through <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: a text's vector is its pooled encoder features.</summary>
public class EmbeddingGeneratorTests
{
    private static readonly TextExample[] Training =
    [
        new("the team won the match", ["sport"]), new("the fans cheered the team", ["sport"]),
        new("the bank raised rates", ["money"]), new("the market fell again", ["money"]),
    ];

    private static TextClassifier Bag() => TextClassifier.Create(TextClassifierConfig.FastTextBag with { EmbedDim = 12, Dropout = 0.3f }, Training);

    [Fact]
    public async Task Embeddings_AreTheMeanOfTheTextsWordVectors_InOrderAndBatchInvariant()
    {
        var model = Bag();
        using IEmbeddingGenerator<string, Embedding<float>> generator = new TinyLMEmbeddingGenerator(model, "topics", batchSize: 2);
        string[] texts = ["the team won", "rates fell", "the market cheered the bank", "unknown words here"];
        var embeddings = await generator.GenerateAsync(texts);
        Assert.Equal(texts.Length, embeddings.Count);
        var table = model.Embedding.Weight.ToArray();
        int e = model.Config.EmbedDim;
        for (int t = 0; t < texts.Length; t++)
        {
            // Reference: the mean of the embedding rows of the text's ids, in float64 (not through the encoder code).
            var ids = model.Inputs.Encode(texts[t]);
            var vector = embeddings[t].Vector.ToArray();
            Assert.Equal(e, vector.Length);
            for (int j = 0; j < e; j++)
                Assert.Equal(ids.Average(id => (double)table[id * e + j]), vector[j], 5);
            Assert.Equal("topics", embeddings[t].ModelId);
            // One text alone gives the same vector as inside a batch.
            var alone = await generator.GenerateAsync([texts[t]]);
            Assert.Equal(vector, alone[0].Vector.ToArray());
        }
        Assert.Equal(e, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        Assert.True(model.Training);   // the generator restores the mode it found
    }

    [Fact]
    public async Task Embeddings_AreWhatTheOutputLayerReads()
    {
        var model = Bag();
        IEmbeddingGenerator<string, Embedding<float>> generator = new TinyLMEmbeddingGenerator(model);
        string[] texts = ["the team won", "the bank raised rates"];
        var embeddings = await generator.GenerateAsync(texts);
        var probabilities = model.PredictProbabilities(texts);
        var w = model.Output.Weight.ToArray();
        var b = model.Output.Bias!.ToArray();
        int c = model.Labels.Count, f = embeddings[0].Vector.Length;
        Assert.Equal(c * f, w.Length);
        for (int t = 0; t < texts.Length; t++)
        {
            var x = embeddings[t].Vector.ToArray();
            // Linear stores (out, in); softmax(W x + b) must be the classifier's own probabilities.
            var logits = Enumerable.Range(0, c).Select(k => b[k] + Enumerable.Range(0, f).Sum(j => (double)w[k * f + j] * x[j])).ToArray();
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            for (int k = 0; k < c; k++) Assert.Equal(Math.Exp(logits[k] - max) / sum, probabilities[t][k], 4);
        }
    }

    [Fact]
    public async Task SvmOnlyModel_IsRefusedClearly_AndCancellationIsHonoured()
    {
        var svm = TextClassifier.Create(TextClassifierConfig.FastTextBag with { SvmOnly = true, LinearSvmWeight = 1f }, Training);
        var error = Assert.Throws<ArgumentException>(() => new TinyLMEmbeddingGenerator(svm));
        Assert.Contains("no text features", error.Message);

        IEmbeddingGenerator<string, Embedding<float>> generator = new TinyLMEmbeddingGenerator(Bag());
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(["the team won"], cancellationToken: cancel.Token));
    }
}
