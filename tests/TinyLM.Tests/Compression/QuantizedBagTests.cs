using TinyLM.Compression;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Tests.Compression;

public class QuantizedBagTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_direct_bag_path_matches_the_module_path_on_the_same_weights(bool quantizeEmbedding)
    {
        var rng = new Random(4);
        string[] words = ["grain", "wheat", "oil", "crude", "profit", "shares", "bank", "rate"];
        var examples = Enumerable.Range(0, 40).Select(i => new TextExample(
            string.Join(' ', Enumerable.Range(0, 2 + rng.Next(7)).Select(_ => words[(i % 2 * 4 + rng.Next(5)) % words.Length])), $"c{i % 2}", i + 1)).ToList();
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, EmbedDim = 24, VocabSize = 20, MaxLength = 6, Pooling = PoolingKind.Mean, Seed = 2,
        }, examples);
        var weights = new Dictionary<string, QuantizedWeight>();
        if (quantizeEmbedding)
        {
            var table = model.Embedding.Weight;
            var q = new QuantizedWeight("embedding.weight", QuantizationType.Int8, QuantizationType.Int8.Quantize(table.AsSpan(), table.Dim(0), table.Dim(1)));
            q.Dequantize().CopyTo(table.AsSpan()); // the module path then sees exactly the engine's embedding values
            weights["embedding.weight"] = q;
        }
        var engine = new QuantizedClassifier(model, weights, QuantizationType.Int8);
        string[] texts = ["grain wheat oil crude profit shares bank rate grain", "", "bank", "unknown only", "oil oil oil"];
        using var noGrad = Tensor.NoGrad();
        using var scope = new TensorScope();
        model.Eval();
        var batch = Batching.Pad(model.Inputs.EncodeAll(texts), [.. Enumerable.Range(0, texts.Length)]);
        var expected = model.ForwardNetwork(batch).ToArray();
        var actual = engine.Forward(batch).ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"logit {i}: {expected[i]} vs {actual[i]}");
    }
}
