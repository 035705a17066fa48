using TinyLM.Tensors;

namespace TinyLM.Tests.Tensors;

public class RngTests
{
    [Fact]
    public void Same_seed_same_stream_and_splits_are_independent()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        var c1 = a.Split();
        var c2 = b.Split();
        Assert.Equal(c1.NextUInt64(), c2.NextUInt64());
        Assert.NotEqual(a.NextUInt64(), c1.NextUInt64());
        Assert.NotEqual(new Rng(1).NextUInt64(), new Rng(2).NextUInt64());
    }

    [Fact]
    public void Normal_and_uniform_have_expected_moments()
    {
        var rng = new Rng(7);
        var x = new float[100_000];
        rng.Normal(x, 1f, 2f);
        double mean = x.Average(v => (double)v);
        double var = x.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, 0.97, 1.03);
        Assert.InRange(Math.Sqrt(var), 1.97, 2.03);
        rng.Uniform(x, -1f, 3f);
        Assert.True(x.All(v => v >= -1f && v < 3f));
        Assert.InRange(x.Average(v => (double)v), 0.98, 1.02);
        rng.Bernoulli(x, 0.25f);
        Assert.InRange(x.Average(v => (double)v), 0.24, 0.26);
    }

    [Fact]
    public void Permutation_is_a_permutation()
    {
        var p = new Rng(3).Permutation(1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), p);
        Assert.Equal(p, new Rng(3).Permutation(1000));
        for (int n = 1; n < 50; n++)
        {
            int v = new Rng((ulong)n).NextInt(n);
            Assert.InRange(v, 0, n - 1);
        }
    }
}
