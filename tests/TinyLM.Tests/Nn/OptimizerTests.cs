using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Tests.Nn;

public class OptimizerTests
{
    private const int N = 19; // two full vectors and a scalar tail

    private static (Tensor P, double[] Ref) Param(ulong seed)
    {
        var p = Tensor.Parameter(N);
        new Rng(seed).Normal(p.AsSpan());
        p.Name = "w";
        return (p, p.ToArray().Select(v => (double)v).ToArray());
    }

    private static float[] Grad(int step)
    {
        var g = new float[N];
        new Rng(100 + (ulong)step).Normal(g);
        return g;
    }

    private static void SetGrad(Tensor p, float[] g)
    {
        p.ZeroGrad();
        if (p.Grad is null) p.Mul(0f).Sum().Backward();
        g.CopyTo(p.Grad!.AsSpan());
    }

    private static void AssertClose(double[] expected, Tensor actual, double tol = 2e-6)
    {
        var a = actual.ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]} got {a[i]}");
    }

    [Theory]
    [InlineData(false, 0f)]
    [InlineData(false, 0.1f)]
    [InlineData(true, 0.1f)]
    public void Adam_and_AdamW_match_hand_computed_updates_with_bias_correction(bool decoupled, float wd)
    {
        var (p, r) = Param(1);
        Optimizer opt = decoupled ? new AdamW([p], 0.01f, weightDecay: wd) : new Adam([p], 0.01f, weightDecay: wd);
        double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 0.01;
        var m = new double[N]; var v = new double[N];
        for (int t = 1; t <= 5; t++)
        {
            var g = Grad(t);
            SetGrad(p, g);
            opt.Step();
            for (int i = 0; i < N; i++)
            {
                double gi = g[i];
                if (decoupled) r[i] *= 1 - lr * wd;
                else gi += wd * r[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double mh = m[i] / (1 - Math.Pow(b1, t)), vh = v[i] / (1 - Math.Pow(b2, t));
                r[i] -= lr * mh / (Math.Sqrt(vh) + eps);
            }
            AssertClose(r, p);
        }
        Assert.Equal(5, opt.StepCount);
    }

    [Fact]
    public void Adam_first_step_moves_each_weight_by_about_lr()
    {
        var (p, r) = Param(2);
        var opt = new Adam([p], 0.05f);
        SetGrad(p, Grad(1));
        opt.Step();
        var a = p.ToArray();
        var g = Grad(1);
        for (int i = 0; i < N; i++) Assert.Equal(r[i] - 0.05 * Math.Sign(g[i]), a[i], 5);
    }

    [Theory]
    [InlineData(0f, false, 0f)]
    [InlineData(0.9f, false, 0f)]
    [InlineData(0.9f, true, 0.01f)]
    public void Sgd_matches_hand_computed_momentum(float mu, bool nesterov, float wd)
    {
        var (p, r) = Param(3);
        var opt = new Sgd([p], 0.1f, mu, nesterov, wd);
        var b = new double[N];
        for (int t = 1; t <= 4; t++)
        {
            var g = Grad(t);
            SetGrad(p, g);
            opt.Step();
            for (int i = 0; i < N; i++)
            {
                double gi = g[i] + wd * r[i];
                double d = gi;
                if (mu > 0)
                {
                    b[i] = t == 1 ? gi : mu * b[i] + gi;
                    d = nesterov ? gi + mu * b[i] : b[i];
                }
                r[i] -= 0.1 * d;
            }
            AssertClose(r, p);
        }
    }

    [Fact]
    public void Weight_decay_predicate_excludes_vectors()
    {
        var w = Tensor.Parameter(2, 2); w.AsSpan().Fill(1f);
        var bias = Tensor.Parameter(2); bias.AsSpan().Fill(1f);
        var opt = new AdamW([new("w", w), new KeyValuePair<string, Tensor>("b", bias)], 0.1f, weightDecay: 0.5f, applyWeightDecay: Optimizer.DecayMatricesOnly);
        Assert.True(opt.DecaysParameter(0));
        Assert.False(opt.DecaysParameter(1));
        SetGrad(w, new float[4]);
        SetGrad(bias, new float[2]);
        opt.Step();
        Assert.All(w.ToArray(), v => Assert.Equal(0.95f, v, 6));
        Assert.All(bias.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void State_save_and_load_resumes_bit_for_bit()
    {
        var (p1, _) = Param(4);
        var (p2, _) = Param(4);
        var a = new AdamW([p1], 0.01f);
        for (int t = 1; t <= 3; t++) { SetGrad(p1, Grad(t)); a.Step(); }
        // Resume: copy weights and optimizer state into a fresh optimizer.
        p1.AsSpan().CopyTo(p2.AsSpan());
        var saved = a.GetState();
        var copy = new OptimizerState(saved.Step, saved.Buffers.Select(b => new OptimizerBuffer(b.Name, (float[])b.Values.Clone())).ToList());
        Assert.Equal(["p0.w.exp_avg", "p0.w.exp_avg_sq"], copy.Buffers.Select(b => b.Name));
        var b2 = new AdamW([p2], 0.01f);
        b2.LoadState(copy);
        Assert.Equal(3, b2.StepCount);
        for (int t = 4; t <= 6; t++)
        {
            SetGrad(p1, Grad(t)); a.Step();
            SetGrad(p2, Grad(t)); b2.Step();
        }
        Assert.Equal(p1.ToArray(), p2.ToArray());

        var bad = new OptimizerState(1, [new OptimizerBuffer("p0.w.exp_avg", new float[3]), new OptimizerBuffer("p0.w.exp_avg_sq", new float[N])]);
        Assert.Contains("has 3 values", Assert.Throws<ArgumentException>(() => b2.LoadState(bad)).Message);
    }

    [Fact]
    public void Parameters_without_gradient_are_skipped()
    {
        var (p, r) = Param(5);
        var opt = new Sgd([p], 0.1f, 0.9f);
        opt.Step();
        AssertClose(r, p, 0);
    }
}
