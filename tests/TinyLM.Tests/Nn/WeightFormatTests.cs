using TinyLM.Kernels;
using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Tests.Nn;

/// <summary>Quantization as a weight format: a layer holding a quantized matrix runs its usual forward from it.</summary>
public class WeightFormatTests
{
    [Fact]
    public void A_linear_layer_with_an_int8_weight_computes_what_the_matrix_does()
    {
        var linear = new Linear(40, 6, new Rng(3));
        var q = Int8Matrix.Quantize(linear.Weight.AsSpan(), 6, 40);
        var input = Tensor.FromArray(Enumerable.Range(0, 3 * 2 * 40).Select(i => MathF.Sin(i * 0.37f)).ToArray(), 3, 2, 40);
        linear.SetWeightFormat("weight", q);
        var y = linear.Forward(input);                 // (3, 2, 6)
        Assert.Equal([3, 2, 6], y.Shape);
        var expected = new float[3 * 2 * 6];
        q.Multiply(6, input.ToArray(), linear.Bias!.AsSpan(), expected);
        Assert.Equal(expected, y.ToArray());
        Assert.Equal(["weight"], linear.NamedWeightFormats().Select(f => f.Key));

        linear.SetWeightFormat("weight", null);
        Assert.Empty(linear.NamedWeightFormats());
        Assert.NotEqual(expected, linear.Forward(input).ToArray()); // back on the float32 weights
    }

    [Fact]
    public void An_embedding_with_a_block_table_looks_up_dequantized_rows()
    {
        var embedding = new Embedding(10, 32, new Rng(5), paddingIndex: 0);
        var q = BlockMatrix.Quantize(BlockFormat.Q8_0, embedding.Weight.AsSpan(), 10, 32);
        embedding.SetWeightFormat("weight", q);
        Assert.True(embedding.IsQuantized);
        var rows = embedding.Forward([3, 0, 9, 3], 2, 2).ToArray(); // (2, 2, 32)
        var table = q.Dequantize();
        Assert.Equal(table.AsSpan(3 * 32, 32).ToArray(), rows.AsSpan(0, 32).ToArray());
        Assert.Equal(new float[32], rows.AsSpan(32, 32).ToArray());
        Assert.Equal(table.AsSpan(9 * 32, 32).ToArray(), rows.AsSpan(64, 32).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward([10], 1, 1));
    }

    [Fact]
    public void Formats_go_only_where_a_layer_can_run_them_and_must_fit_the_parameter()
    {
        var gru = new Gru(8, 4, new Rng(1));
        var lstm = new Lstm(8, 4, new Rng(1));
        var linear = new Linear(8, 4, new Rng(1));
        var matrix = new FloatMatrix(new float[16 * 8], 16, 8);
        Assert.Contains("cannot run quantized", Assert.Throws<ArgumentException>(() => gru.SetWeightFormat("bias_hh_l0", new FloatMatrix(new float[12 * 8], 12, 8))).Message);
        gru.SetWeightFormat("weight_ih_l0", new FloatMatrix(new float[12 * 8], 12, 8));
        Assert.Contains("cannot run quantized", Assert.Throws<ArgumentException>(() => lstm.SetWeightFormat("bias_ih_l0", matrix)).Message);
        Assert.Contains("no parameter 'nothing'", Assert.Throws<ArgumentException>(() => linear.SetWeightFormat("nothing", matrix)).Message);
        Assert.Contains("(4, 8)", Assert.Throws<ArgumentException>(() => linear.SetWeightFormat("weight", matrix)).Message);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], lstm.QuantizableParameterNames());
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], gru.QuantizableParameterNames());
    }
}
