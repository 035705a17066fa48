using TinyLM.Tensors;

namespace TinyLM.Tests.Tensors;

public class GradientTests
{
    private static Tensor In(Rng rng, params int[] shape) => GradCheck.Input(rng, shape);

    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { [3, 4], [3, 4] },
        { [2, 3, 4], [4] },
        { [2, 1, 4], [3, 1] },
        { [5], [1] },
        { [1], [2, 3] },
        { [2, 3], [] },
        { [3, 1, 2], [1, 4, 1] },
    };

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void Add_sub_mul_broadcast(int[] sa, int[] sb)
    {
        var rng = new Rng(1);
        GradCheck.Check(x => x[0] + x[1], In(rng, sa), In(rng, sb));
        GradCheck.Check(x => x[0] - x[1], In(rng, sa), In(rng, sb));
        GradCheck.Check(x => x[0] * x[1], In(rng, sa), In(rng, sb));
    }

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void Div_and_pow_broadcast(int[] sa, int[] sb)
    {
        var rng = new Rng(2);
        GradCheck.Check(x => x[0] / x[1], In(rng, sa), GradCheck.Input(rng, sb, 0.3f, 0f, 2f));
        GradCheck.Check(x => x[0].Pow(x[1]), GradCheck.Input(rng, sa, 0.2f, 0f, 1.5f), GradCheck.Input(rng, sb, 0.5f));
    }

    [Fact]
    public void Scalar_ops()
    {
        var rng = new Rng(3);
        GradCheck.Check(x => (x[0] * 3f + 1f - 0.5f) / 2f, In(rng, 3, 5));
        GradCheck.Check(x => 2f - x[0], In(rng, 4));
        GradCheck.Check(x => 1f / x[0], GradCheck.Input(rng, [4], 0.3f, 0f, 2f));
        GradCheck.Check(x => -x[0], In(rng, 2, 2));
        GradCheck.Check(x => x[0].Pow(3f), In(rng, 5));
        GradCheck.Check(x => x[0].Pow(0.5f), GradCheck.Input(rng, [5], 0.2f, 0f, 1.5f));
    }

    [Fact]
    public void Unary_ops()
    {
        var rng = new Rng(4);
        int[] s = [3, 7];
        GradCheck.Check(x => x[0].Exp(), In(rng, s));
        GradCheck.Check(x => x[0].Log(), GradCheck.Input(rng, s, 0.3f, 0f, 2f));
        GradCheck.Check(x => x[0].Sqrt(), GradCheck.Input(rng, s, 0.3f, 0f, 2f));
        GradCheck.Check(x => x[0].Tanh(), In(rng, s));
        GradCheck.Check(x => x[0].Sigmoid(), In(rng, s));
        GradCheck.Check(x => x[0].Relu(), GradCheck.Input(rng, s, 1f, 0.1f));
        GradCheck.Check(x => x[0].Gelu(), In(rng, s));
        GradCheck.Check(x => x[0].Silu(), In(rng, s));
        GradCheck.Check(x => x[0].Abs(), GradCheck.Input(rng, s, 1f, 0.1f));
        GradCheck.Check(x => x[0].Square(), In(rng, s));
    }

    [Fact]
    public void Clamp_passes_gradient_inside_the_range()
    {
        var rng = new Rng(5);
        var x = GradCheck.Input(rng, [20], 1f, 0f);
        var s = x.AsSpan();
        for (int i = 0; i < s.Length; i++) if (Math.Abs(Math.Abs(s[i]) - 0.5f) < 0.05f) s[i] += 0.1f;
        GradCheck.Check(t => t[0].Clamp(-0.5f, 0.5f), x);
    }

    [Fact]
    public void MatMul_2d_and_transposed_views()
    {
        var rng = new Rng(6);
        GradCheck.Check(x => x[0].MatMul(x[1]), In(rng, 3, 4), In(rng, 4, 5));
        GradCheck.Check(x => x[0].T.MatMul(x[1]), In(rng, 4, 3), In(rng, 4, 5));
        GradCheck.Check(x => x[0].MatMul(x[1].T), In(rng, 3, 4), In(rng, 5, 4));
        GradCheck.Check(x => x[0].T.MatMul(x[1].T), In(rng, 4, 3), In(rng, 5, 4));
        GradCheck.Check(x => x[0].Narrow(1, 1, 3).MatMul(x[1]), In(rng, 2, 5), In(rng, 3, 2));
    }

    [Fact]
    public void MatMul_folded_and_batched()
    {
        var rng = new Rng(7);
        GradCheck.Check(x => x[0].MatMul(x[1]), In(rng, 2, 3, 4), In(rng, 4, 2));
        GradCheck.Check(x => x[0].MatMul(x[1].T), In(rng, 2, 3, 4), In(rng, 5, 4));
        GradCheck.Check(x => x[0].MatMul(x[1]), In(rng, 2, 3, 4), In(rng, 2, 4, 2));
        GradCheck.Check(x => x[0].MatMul(x[1].Transpose(1, 2)), In(rng, 3, 2, 4), In(rng, 3, 5, 4));
        GradCheck.Check(x => x[0].Transpose(1, 2).MatMul(x[1]), In(rng, 2, 4, 3), In(rng, 2, 4, 2));
        GradCheck.Check(x => x[0].MatMul(x[1]), In(rng, 2, 2, 3, 4), In(rng, 2, 2, 4, 3));
        GradCheck.Check(x => x[0].Permute(0, 2, 1, 3).MatMul(x[1]), In(rng, 2, 3, 2, 4), In(rng, 2, 2, 4, 3));
    }

    [Fact]
    public void Reductions()
    {
        var rng = new Rng(8);
        GradCheck.Check(x => x[0].Sum(), In(rng, 3, 4));
        GradCheck.Check(x => x[0].Mean(), In(rng, 3, 4));
        GradCheck.Check(x => x[0].Sum(0), In(rng, 3, 4));
        GradCheck.Check(x => x[0].Sum(1, keepDim: true), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].Sum(-1), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].Sum([0, 2]), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].Mean([0, 2], keepDim: true), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].Mean(1), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].Max(1), In(rng, 2, 5, 3));
        GradCheck.Check(x => x[0].Max(-1, keepDim: true), In(rng, 3, 6));
        GradCheck.Check(x => x[0].Transpose(0, 1).Sum(1), In(rng, 3, 4));
    }

    [Fact]
    public void Softmax_and_log_softmax()
    {
        var rng = new Rng(9);
        GradCheck.Check(x => x[0].Softmax(), In(rng, 3, 5));
        GradCheck.Check(x => x[0].Softmax(0), In(rng, 3, 5));
        GradCheck.Check(x => x[0].LogSoftmax(), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].LogSoftmax(1), In(rng, 2, 3, 4));
    }

    [Fact]
    public void Cross_entropy_with_ignore_index_and_label_smoothing()
    {
        var rng = new Rng(10);
        var targets = new IntTensor([1, 0, 4, -100, 2, 3], 6);
        GradCheck.Check(x => Tensor.CrossEntropy(x[0], targets), In(rng, 6, 5));
        GradCheck.Check(x => Tensor.CrossEntropy(x[0], targets, labelSmoothing: 0.1f), In(rng, 6, 5));
        GradCheck.Check(x => Tensor.CrossEntropy(x[0], targets.Reshape(2, 3)), In(rng, 2, 3, 5));
    }

    [Fact]
    public void Cross_entropy_matches_log_softmax_composite()
    {
        var rng = new Rng(11);
        var logits = In(rng, 4, 6);
        var t = new IntTensor([5, 0, 2, 3]);
        float fused = Tensor.CrossEntropy(logits, t).Item();
        var lp = logits.LogSoftmax().ToArray();
        double expected = -(lp[5] + lp[6 + 0] + lp[12 + 2] + lp[18 + 3]) / 4;
        Assert.Equal(expected, fused, 5);
    }

    [Fact]
    public void Binary_cross_entropy_with_logits()
    {
        var rng = new Rng(12);
        var y = Tensor.Rand(rng, 0f, 1f, 3, 4);
        GradCheck.Check(x => Tensor.BinaryCrossEntropyWithLogits(x[0], y), In(rng, 3, 4));
        var big = Tensor.FromArray([100f, -100f], 2);
        var loss = Tensor.BinaryCrossEntropyWithLogits(big, Tensor.FromArray([1f, 0f], 2)).Item();
        Assert.True(loss >= 0 && loss < 1e-6);
    }

    [Fact]
    public void Embedding_index_select_gather()
    {
        var rng = new Rng(13);
        var ids = new IntTensor([1, 3, 1, 0, 2, 1], 2, 3);
        GradCheck.Check(x => Tensor.Embedding(x[0], ids), In(rng, 4, 3));
        var w = In(rng, 4, 3);
        Tensor.Embedding(w, ids, paddingIndex: 1).Sum().Backward();
        Assert.Equal([0f, 0f, 0f], w.Grad!.ToArray()[3..6]);
        Assert.Equal([1f, 1f, 1f], w.Grad!.ToArray()[9..12]);
        GradCheck.Check(x => x[0].IndexSelect(1, new IntTensor([2, 0, 2])), In(rng, 2, 3, 2));
        GradCheck.Check(x => x[0].Gather(1, new IntTensor([0, 2, 1, 1, 0, 0], 2, 3)), In(rng, 2, 4));
        GradCheck.Check(x => x[0].Gather(0, new IntTensor([1, 0, 1], 1, 3)), In(rng, 2, 3));
    }

    [Fact]
    public void Layer_norm_and_rms_norm()
    {
        var rng = new Rng(14);
        GradCheck.Check(x => x[0].LayerNorm(x[1], x[2]), In(rng, 3, 5), In(rng, 5), In(rng, 5));
        GradCheck.Check(x => x[0].LayerNorm(null, null), In(rng, 2, 2, 4));
        GradCheck.Check(x => x[0].RmsNorm(x[1]), In(rng, 3, 5), In(rng, 5));
        GradCheck.Check(x => x[0].RmsNorm(null), In(rng, 4, 3));
    }

    [Fact]
    public void Shape_ops()
    {
        var rng = new Rng(15);
        GradCheck.Check(x => x[0].Reshape(4, -1).Mul(x[0].Reshape(4, 3)), In(rng, 2, 6));
        GradCheck.Check(x => x[0].Transpose(0, 2).Contiguous(), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].Permute(1, 2, 0).Reshape(-1), In(rng, 2, 3, 4));
        GradCheck.Check(x => x[0].Narrow(1, 1, 2), In(rng, 2, 4, 3));
        GradCheck.Check(x => x[0].Slice(0, -2, 3) * 2f, In(rng, 3, 4));
        GradCheck.Check(x => x[0].Select(1, 2), In(rng, 2, 3));
        GradCheck.Check(x => Tensor.Concat([x[0], x[1], x[0]], 1), In(rng, 2, 3), In(rng, 2, 1));
        GradCheck.Check(x => Tensor.Stack([x[0], x[1]], 1), In(rng, 2, 3), In(rng, 2, 3));
        GradCheck.Check(x => x[0].Split(1, 1, 3)[1] * x[0].Split(1, 1, 3)[0], In(rng, 2, 4));
        GradCheck.Check(x => x[0].Chunk(2, 0)[1].Exp(), In(rng, 4, 2));
        GradCheck.Check(x => x[0].Expand(3, 2, 4), In(rng, 2, 1));
        GradCheck.Check(x => x[0].Unsqueeze(0).Squeeze(0).Flatten(), In(rng, 2, 3));
        GradCheck.Check(x => x[0].T.Tanh(), In(rng, 3, 2));
    }

    [Fact]
    public void Masked_fill_where_maximum()
    {
        var rng = new Rng(16);
        var mask = Tensor.FromArray([1f, 0f, 0f, 1f], 1, 4);
        GradCheck.Check(x => x[0].MaskedFill(mask, -1e9f).Softmax(), In(rng, 3, 4));
        var cond = Tensor.FromArray([1f, 0f, 1f], 3, 1);
        GradCheck.Check(x => Tensor.Where(cond, x[0], x[1]), In(rng, 3, 2), In(rng, 2));
        GradCheck.Check(x => x[0].Maximum(x[1]), In(rng, 3, 4), GradCheck.Input(rng, [4], 1f, 0f, 10f));
    }

    [Fact]
    public void Dropout_gradient_uses_the_same_mask()
    {
        var rng = new Rng(17);
        GradCheck.Check(x => x[0].Dropout(0.3f, new Rng(99)), In(rng, 4, 5));
        var x = In(rng, 100);
        Assert.Same(x, x.Dropout(0.5f, new Rng(1), training: false));
        var y = x.Dropout(0.5f, new Rng(1)).ToArray();
        int zeros = y.Count(v => v == 0f);
        Assert.InRange(zeros, 30, 70);
    }

    [Fact]
    public void Composite_mlp_gradient()
    {
        var rng = new Rng(18);
        var targets = new IntTensor([2, 0, 1]);
        GradCheck.Check(x =>
        {
            var h = (x[0].MatMul(x[1]) + x[2]).Tanh();     // (3, 4)
            var logits = h.MatMul(x[3]);                    // (3, 3)
            return Tensor.CrossEntropy(logits, targets);
        }, In(rng, 3, 5), In(rng, 5, 4), In(rng, 4), In(rng, 4, 3));
    }
}
