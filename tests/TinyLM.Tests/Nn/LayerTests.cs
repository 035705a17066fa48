using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Nn;

public class LayerTests
{
    [Fact]
    public void Linear_has_pytorch_names_shapes_and_init_bounds()
    {
        var lin = new Linear(16, 5, new Rng(1));
        var names = lin.NamedParameters().Select(p => p.Key).ToArray();
        Assert.Equal(["weight", "bias"], names);
        Assert.Equal([5, 16], lin.Weight.Shape);
        Assert.Equal([5], lin.Bias!.Shape);
        Assert.All(lin.Weight.ToArray(), v => Assert.InRange(v, -0.25f, 0.25f));
        Assert.Equal(5 * 16 + 5, lin.ParameterCount());
    }

    [Fact]
    public void Linear_matches_reference_and_gradients()
    {
        var rng = new Rng(2);
        var lin = new Linear(7, 3, rng);
        var x = GradCheck.Input(rng, [2, 4, 7]);
        var y = lin.Forward(x).ToArray();
        var w = lin.Weight.ToArray(); var b = lin.Bias!.ToArray(); var xs = x.ToArray();
        for (int r = 0; r < 8; r++)
            for (int o = 0; o < 3; o++)
            {
                double s = b[o];
                for (int i = 0; i < 7; i++) s += (double)xs[r * 7 + i] * w[o * 7 + i];
                Assert.Equal(s, y[r * 3 + o], 4);
            }
        GradCheck.Check(t => lin.Forward(t[0]), x, lin.Weight, lin.Bias);
        var x1 = GradCheck.Input(rng, [7]);
        Assert.Equal([3], lin.Forward(x1).Shape);
        GradCheck.Check(t => new Linear(7, 2, new Rng(5), bias: false).Forward(t[0]), x1);
    }

    [Fact]
    public void Linear_rejects_wrong_feature_count()
    {
        var lin = new Linear(4, 2, new Rng(1));
        var ex = Assert.Throws<ArgumentException>(() => lin.Forward(Tensor.Zeros(3, 5)));
        Assert.Contains("Linear.Forward", ex.Message);
    }

    [Fact]
    public void Embedding_padding_row_is_zero_and_gets_no_gradient()
    {
        var rng = new Rng(3);
        var emb = new Embedding(6, 4, rng, paddingIndex: 0);
        Assert.All(emb.Weight.ToArray().AsSpan(0, 4).ToArray(), v => Assert.Equal(0f, v));
        var ids = new IntTensor([1, 0, 3, 3, 0, 5], 2, 3);
        var y = emb.Forward(ids);
        Assert.Equal([2, 3, 4], y.Shape);
        Assert.Equal(0f, y[0, 1, 2]);
        // Without padding every looked-up row's gradient is checked; with it, row 0 must get none (below).
        GradCheck.Check(t => Tensor.Embedding(t[0], ids), emb.Weight);
        emb.ZeroGrad();
        y = emb.Forward(ids);
        y.Backward(Tensor.Ones(2, 3, 4));
        var g = emb.Weight.Grad!.ToArray();
        for (int d = 0; d < 4; d++)
        {
            Assert.Equal(0f, g[0 * 4 + d]); // padding row
            Assert.Equal(2f, g[3 * 4 + d]); // looked up twice
            Assert.Equal(0f, g[2 * 4 + d]); // never looked up
        }
        var opt = new Adam(emb, 0.1f);
        opt.Step();
        Assert.All(emb.Weight.ToArray().AsSpan(0, 4).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Norm_layers_gradients()
    {
        var rng = new Rng(4);
        var ln = new LayerNorm(5);
        rng.Normal(ln.Weight!.AsSpan()); rng.Normal(ln.Bias!.AsSpan());
        GradCheck.Check(t => ln.Forward(t[0]), GradCheck.Input(rng, [3, 5]), ln.Weight, ln.Bias);
        var rms = new RmsNorm(6);
        rng.Normal(rms.Weight.AsSpan());
        GradCheck.Check(t => rms.Forward(t[0]), GradCheck.Input(rng, [2, 2, 6]), rms.Weight);
        Assert.Equal(["weight", "bias"], ln.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void Dropout_is_identity_in_eval_and_scales_in_training()
    {
        var d = new Dropout(0.5f, new Rng(5));
        var x = Tensor.Ones(1000);
        var y = d.Forward(x).ToArray();
        Assert.All(y, v => Assert.True(v == 0f || v == 2f));
        int kept = y.Count(v => v != 0f);
        Assert.InRange(kept, 400, 600);
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void Sequential_names_children_by_index_and_chains()
    {
        var rng = new Rng(6);
        var seq = new Sequential(new Linear(3, 4, rng), new Activation(ActivationKind.Tanh), new Linear(4, 2, rng));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.NamedParameters().Select(p => p.Key));
        var x = GradCheck.Input(rng, [5, 3]);
        GradCheck.Check(t => seq.Forward(t[0]), [x, .. seq.Parameters()]);
    }

    [Fact]
    public void State_dict_round_trips_and_checks_shapes()
    {
        var a = new Sequential(new Linear(3, 4, new Rng(1)), new LayerNorm(4));
        var b = new Sequential(new Linear(3, 4, new Rng(2)), new LayerNorm(4));
        Assert.Equal(4, b.LoadStateDict(a.StateDict()));
        Assert.Equal(a.Parameters().SelectMany(p => p.ToArray()), b.Parameters().SelectMany(p => p.ToArray()));

        var wrong = new List<(string, Tensor)>(a.StateDict()) { };
        wrong[0] = ("0.weight", Tensor.Zeros(3, 4));
        var ex = Assert.Throws<ArgumentException>(() => b.LoadStateDict(wrong));
        Assert.Contains("0.weight", ex.Message);
        var missing = a.StateDict().Skip(1).ToList();
        Assert.Contains("missing key '0.weight'", Assert.Throws<ArgumentException>(() => b.LoadStateDict(missing)).Message);
        Assert.Equal(3, b.LoadStateDict(missing, strict: false));
        var extra = a.StateDict().Append(("nope", Tensor.Zeros(1))).ToList();
        Assert.Contains("unexpected key 'nope'", Assert.Throws<ArgumentException>(() => b.LoadStateDict(extra)).Message);
    }
}
