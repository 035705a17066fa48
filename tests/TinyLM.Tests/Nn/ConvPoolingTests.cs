using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Nn;

public class ConvPoolingTests
{
    private static double[] Reference(float[] x, float[] w, float[]? bias, int b, int t, int cin, int cout, int k, int pad)
    {
        int tout = t + 2 * pad - k + 1;
        var y = new double[b * tout * cout];
        for (int bi = 0; bi < b; bi++)
            for (int to = 0; to < tout; to++)
                for (int o = 0; o < cout; o++)
                {
                    double s = bias?[o] ?? 0;
                    for (int j = 0; j < k; j++)
                    {
                        int ti = to + j - pad;
                        if (ti < 0 || ti >= t) continue;
                        for (int c = 0; c < cin; c++) s += (double)x[(bi * t + ti) * cin + c] * w[(o * cin + c) * k + j];
                    }
                    y[(bi * tout + to) * cout + o] = s;
                }
        return y;
    }

    [Theory]
    [InlineData(2, 7, 3, 4, 3, 0)]
    [InlineData(3, 5, 5, 2, 2, 1)]
    [InlineData(1, 4, 1, 3, 1, 0)]
    [InlineData(2, 2, 3, 5, 4, 2)]
    [InlineData(4, 33, 17, 9, 5, 2)]
    public void Conv1d_matches_float64_reference(int b, int t, int cin, int cout, int k, int pad)
    {
        var rng = new Rng(11);
        var conv = new Conv1d(cin, cout, k, rng, pad);
        var x = GradCheck.Input(rng, [b, t, cin]);
        var y = conv.Forward(x);
        int tout = t + 2 * pad - k + 1;
        Assert.Equal([b, tout, cout], y.Shape);
        var expected = Reference(x.ToArray(), conv.Weight.ToArray(), conv.Bias!.ToArray(), b, t, cin, cout, k, pad);
        var actual = y.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Theory]
    [InlineData(2, 5, 3, 2, 3, 0)]
    [InlineData(2, 4, 2, 3, 2, 1)]
    [InlineData(1, 3, 2, 2, 1, 0)]
    [InlineData(3, 2, 2, 2, 4, 2)]
    public void Conv1d_gradients(int b, int t, int cin, int cout, int k, int pad)
    {
        var rng = new Rng(12);
        var conv = new Conv1d(cin, cout, k, rng, pad);
        GradCheck.Check(v => conv.Forward(v[0]), GradCheck.Input(rng, [b, t, cin]), conv.Weight, conv.Bias!);
        var noBias = new Conv1d(cin, cout, k, rng, pad, bias: false);
        GradCheck.Check(v => noBias.Forward(v[0]), GradCheck.Input(rng, [b, t, cin]), noBias.Weight);
    }

    [Fact]
    public void Conv1d_names_and_errors()
    {
        var conv = new Conv1d(4, 6, 3, new Rng(1));
        Assert.Equal(["weight", "bias"], conv.NamedParameters().Select(p => p.Key));
        Assert.Equal([6, 4, 3], conv.Weight.Shape);
        Assert.Contains("shorter than the kernel", Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 2, 4))).Message);
        Assert.Contains("(B, T, 4)", Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 5, 3))).Message);
    }

    [Fact]
    public void Max_over_time_excludes_padding()
    {
        var x = Tensor.FromArray([1f, -5f, 3f, 2f, 9f, 9f, /* b1 */ -1f, -2f, -3f, -4f, 100f, 100f], 2, 3, 2);
        var y = Pooling.MaxOverTime(x, [2, 2]).ToArray();
        Assert.Equal([3f, 2f, -1f, -2f], y);
        var empty = Pooling.MaxOverTime(x, [0, 3]).ToArray();
        Assert.Equal([0f, 0f, 100f, 100f], empty);
        var all = Pooling.MaxOverTime(x).ToArray();
        Assert.Equal([9f, 9f, 100f, 100f], all);
    }

    [Fact]
    public void Pooling_gradients_with_lengths()
    {
        var rng = new Rng(13);
        int[] lengths = [3, 1, 0, 5];
        GradCheck.Check(v => Pooling.MaxOverTime(v[0], lengths), GradCheck.Input(rng, [4, 5, 3]));
        GradCheck.Check(v => Pooling.MeanOverTime(v[0], lengths), GradCheck.Input(rng, [4, 5, 3]));
        GradCheck.Check(v => Pooling.MeanOverTime(v[0]), GradCheck.Input(rng, [2, 3, 2]));
        // Padding positions get exactly zero gradient.
        var x = GradCheck.Input(rng, [4, 5, 3]);
        Pooling.MaxOverTime(x, lengths).Sum().Backward();
        var g = x.Grad!.ToArray();
        for (int b = 0; b < 4; b++)
            for (int t = lengths[b]; t < 5; t++)
                for (int c = 0; c < 3; c++) Assert.Equal(0f, g[(b * 5 + t) * 3 + c]);
    }

    [Fact]
    public void Conv_output_lengths_match_per_sequence_convolution()
    {
        var conv = new Conv1d(1, 1, 3, new Rng(1), padding: 1);
        Assert.Equal([4, 1, 0, 6], conv.OutputLengths([4, 1, 0, 6], 6));
        var wide = new Conv1d(1, 1, 4, new Rng(1), padding: 3);
        Assert.Equal([7, 4, 9], wide.OutputLengths([4, 1, 6], 6));
        var narrow = new Conv1d(1, 1, 3, new Rng(1));
        Assert.Equal([2, 0], narrow.OutputLengths([4, 1], 6));
    }

    [Fact]
    public void Mean_over_time_values()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 50f, 60f], 1, 3, 2);
        Assert.Equal([2f, 3f], Pooling.MeanOverTime(x, [2]).ToArray());
        Assert.Contains("length 4", Assert.Throws<ArgumentOutOfRangeException>(() => Pooling.MeanOverTime(x, [4])).Message);
    }

    [Fact]
    public void Kim_cnn_learns_a_toy_keyword_task()
    {
        // Label 1 iff token 3 appears: embedding → conv (widths 2, 3) → max over valid steps → linear.
        var rng = new Rng(7);
        var emb = new Embedding(6, 8, rng, paddingIndex: 0);
        var convs = new[] { new Conv1d(8, 4, 2, rng, padding: 1), new Conv1d(8, 4, 3, rng, padding: 1) };
        var head = new Linear(8, 2, rng);
        var parameters = emb.Parameters().Concat(convs.SelectMany(c => c.Parameters())).Concat(head.Parameters()).ToList();
        var opt = new Adam(parameters, 0.03f);
        var data = new Rng(8);
        float loss = 0;
        for (int step = 0; step < 150; step++)
        {
            using var scope = new TensorScope();
            int b = 16, t = 6;
            var ids = new int[b * t]; var lengths = new int[b]; var labels = new int[b];
            for (int i = 0; i < b; i++)
            {
                lengths[i] = 2 + data.NextInt(t - 1);
                for (int j = 0; j < lengths[i]; j++) ids[i * t + j] = 1 + data.NextInt(5);
                labels[i] = ids.AsSpan(i * t, lengths[i]).Contains(3) ? 1 : 0;
            }
            var e = emb.Forward(ids, b, t); // (B, T, 8)
            var pooled = convs.Select(c => Pooling.MaxOverTime(c.Forward(e).Relu(), c.OutputLengths(lengths, t))).ToArray(); // (B, 4) each
            var logits = head.Forward(Tensor.Concat(pooled, 1));
            var l = Tensor.CrossEntropy(logits, new IntTensor(labels));
            foreach (var p in parameters) p.ZeroGrad();
            l.Backward();
            opt.Step();
            loss = l.Item();
        }
        Assert.True(loss < 0.15f, $"final loss {loss}");
    }
}
