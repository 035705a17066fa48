using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Tests.Nn;

public class ScheduleAndClipTests
{
    [Fact]
    public void Constant_schedule()
    {
        var s = new ConstantLr(0.3f);
        Assert.Equal(0.3f, s.LearningRate(0));
        Assert.Equal(0.3f, s.LearningRate(1_000_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.LearningRate(-1));
    }

    [Fact]
    public void Warmup_linear_at_key_steps()
    {
        var s = WarmupDecayLr.Linear(1f, 10, 110, minRate: 0.1f);
        Assert.Equal(0.1f, s.LearningRate(0), 6);
        Assert.Equal(0.5f, s.LearningRate(4), 6);
        Assert.Equal(1f, s.LearningRate(9), 6);
        Assert.Equal(1f, s.LearningRate(10), 6);
        Assert.Equal(0.55f, s.LearningRate(60), 6);
        Assert.Equal(0.1f, s.LearningRate(110), 6);
        Assert.Equal(0.1f, s.LearningRate(500), 6);
    }

    [Fact]
    public void Warmup_cosine_at_key_steps()
    {
        var s = WarmupDecayLr.Cosine(6e-4f, 100, 1100, minRate: 6e-5f);
        Assert.Equal(6e-6f, s.LearningRate(0), 9);
        Assert.Equal(6e-4f, s.LearningRate(100), 9);
        Assert.Equal(6e-5f + (6e-4f - 6e-5f) / 2, s.LearningRate(600), 8);
        Assert.Equal(6e-5f + (6e-4f - 6e-5f) * (1 + Math.Cos(Math.PI / 4)) / 2, s.LearningRate(350), 8);
        Assert.Equal(6e-5f, s.LearningRate(1100), 9);
        Assert.Equal(6e-5f, s.LearningRate(5000), 9);
        var noWarm = WarmupDecayLr.Cosine(1f, 0, 10);
        Assert.Equal(1f, noWarm.LearningRate(0));
    }

    private static Tensor WithGrad(string name, float[] g)
    {
        var p = Tensor.Parameter(g.Length);
        p.Name = name;
        p.Mul(1f).Backward(Tensor.FromArray(g, g.Length));
        return p;
    }

    [Fact]
    public void Clip_scales_to_max_norm_and_returns_pre_clip_norm()
    {
        var a = WithGrad("a", [3f, 0f]);
        var b = WithGrad("b", [0f, 4f, 0f]);
        float norm = GradClip.ClipGlobalNorm([a, b], 1f);
        Assert.Equal(5f, norm, 5);
        Assert.Equal(0.6f, a.Grad!.ToArray()[0], 5);
        Assert.Equal(0.8f, b.Grad!.ToArray()[1], 5);
        // Below the threshold nothing changes.
        float n2 = GradClip.ClipGlobalNorm([a, b], 10f);
        Assert.Equal(1f, n2, 4);
        Assert.Equal(0.6f, a.Grad!.ToArray()[0], 5);
    }

    [Fact]
    public void Clip_names_the_parameter_with_a_non_finite_gradient()
    {
        var a = WithGrad("a", [1f, 2f]);
        var b = WithGrad("b", [1f, float.NaN, 3f]);
        var ex = Assert.Throws<ArithmeticException>(() => GradClip.ClipGlobalNorm([new("enc.a", a), new KeyValuePair<string, Tensor>("enc.b", b)], 1f));
        Assert.Contains("'enc.b'", ex.Message);
        Assert.Contains("element 1", ex.Message);
        Assert.Equal(1f, a.Grad!.ToArray()[0]); // untouched
    }

    [Fact]
    public void Clip_handles_large_finite_gradients()
    {
        var a = WithGrad("a", [3e20f, 4e20f]);
        float norm = GradClip.ClipGlobalNorm([a], 1f);
        Assert.Equal(5e20f, norm, 5e14f);
        Assert.Equal(0.6f, a.Grad!.ToArray()[0], 5);
    }
}
