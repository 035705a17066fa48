using TinyLM.Compression;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Tests.Compression;

public class QuantizedBagTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_direct_bag_sum_matches_the_pooled_path_on_the_same_weights(bool quantizeEmbedding)
    {
        var rng = new Random(4);
        string[] words = ["grain", "wheat", "oil", "crude", "profit", "shares", "bank", "rate"];
        var examples = Enumerable.Range(0, 40).Select(i => new TextExample(
            string.Join(' ', Enumerable.Range(0, 2 + rng.Next(7)).Select(_ => words[(i % 2 * 4 + rng.Next(5)) % words.Length])), $"c{i % 2}", i + 1)).ToList();
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, EmbedDim = 24, VocabSize = 20, MaxLength = 6, Pooling = PoolingKind.Mean, Seed = 2,
        }, examples);
        string[] texts = ["grain wheat oil crude profit shares bank rate grain", "", "bank", "unknown only", "oil oil oil"];
        using var noGrad = Tensor.NoGrad();
        using var scope = new TensorScope();
        model.Eval();
        var batch = Batching.Pad(model.Inputs.EncodeAll(texts), [.. Enumerable.Range(0, texts.Length)]);
        if (!quantizeEmbedding)
        {
            // The direct sum over float rows is the mean the bag encoder pools, bit for bit.
            var pooled = Pooling.MeanOverTime(model.Embedding.Forward(batch.Ids, batch.B, batch.T), batch.Lengths).ToArray();
            Assert.Equal(pooled, model.Embedding.MeanOfRows(batch.Ids, batch.B, batch.T, batch.Lengths).ToArray());
            return;
        }
        var table = model.Embedding.Weight;
        var q = QuantizationType.Int8.Quantize(table.AsSpan(), table.Dim(0), table.Dim(1));
        WeightRows.Dequantize(q).CopyTo(table.AsSpan()); // the float path then sees exactly the quantized table's values
        var expected = model.Forward(batch).ToArray();
        model.SetWeightFormat("embedding.weight", q);
        Assert.True(model.Embedding.IsQuantized);
        var actual = model.Forward(batch).ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"logit {i}: {expected[i]} vs {actual[i]}");
    }
}
