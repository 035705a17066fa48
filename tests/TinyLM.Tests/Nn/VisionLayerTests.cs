using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Nn;

/// <summary>Vision modules on the tape: values against float64 references, gradients against float64 finite differences.</summary>
public class VisionLayerTests
{
    [Theory]
    [InlineData(2, 3, 4, 5, 5, 3, 1, 1, 1, 1)]
    [InlineData(1, 4, 6, 6, 7, 3, 2, 1, 1, 2)]
    [InlineData(2, 4, 4, 5, 4, 3, 1, 1, 1, 4)] // depthwise
    [InlineData(1, 2, 3, 7, 7, 3, 1, 2, 2, 1)] // dilated
    public void Conv2d_forward_and_gradients(int n, int cin, int cout, int h, int w, int k, int stride, int pad, int dilation, int groups)
    {
        var rng = new Rng(21);
        var conv = new Conv2d(cin, cout, k, rng, stride, pad, dilation, groups);
        Assert.Equal([cout, cin / groups, k, k], conv.Weight.Shape);
        var x = GradCheck.Input(rng, [n, cin, h, w]);
        var y = conv.Forward(x);
        var s = conv.ShapeFor(h, w);
        Assert.Equal([n, cout, s.OutHeight, s.OutWidth], y.Shape);
        // One output against a float64 sum written out here.
        var xs = x.ToArray();
        var ws = conv.Weight.ToArray();
        int o = cout - 1, oy = s.OutHeight - 1, ox = 0, cg = cin / groups;
        double expected = conv.Bias!.ToArray()[o];
        for (int c = 0; c < cg; c++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                {
                    int iy = oy * stride - pad + ky * dilation, ix = ox * stride - pad + kx * dilation;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    expected += (double)xs[(((n - 1) * cin + o / (cout / groups) * cg + c) * h + iy) * w + ix] * ws[((o * cg + c) * k + ky) * k + kx];
                }
        Assert.Equal(expected, y.ToArray()[(((n - 1) * cout + o) * s.OutHeight + oy) * s.OutWidth + ox], 4);
        GradCheck.Check(v => conv.Forward(v[0]), x, conv.Weight, conv.Bias!);
    }

    [Fact]
    public void Conv2d_without_bias_and_errors()
    {
        var rng = new Rng(3);
        var conv = new Conv2d(2, 3, 3, rng, padding: 1, bias: false);
        Assert.Equal(["weight"], conv.NamedParameters().Select(p => p.Key));
        GradCheck.Check(v => conv.Forward(v[0]), GradCheck.Input(rng, [1, 2, 4, 3]), conv.Weight);
        Assert.Contains("(N, 2, H, W)", Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 3, 4, 4))).Message);
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, rng, groups: 2));
    }

    [Fact]
    public void Pooling_modules_gradients()
    {
        var rng = new Rng(22);
        // Values kept apart so no finite-difference step swaps the maximum of a window.
        var x = Tensor.Parameter(2, 3, 5, 6);
        var xs = x.AsSpan();
        var perm = Enumerable.Range(0, xs.Length).OrderBy(_ => rng.NextInt(1 << 30)).ToArray();
        for (int i = 0; i < xs.Length; i++) xs[i] = perm[i] * 0.1f - 9f;
        GradCheck.Check(v => new MaxPool2d(2).Forward(v[0]), x);
        GradCheck.Check(v => new MaxPool2d(3, 2, 1).Forward(v[0]), x);
        GradCheck.Check(v => new AvgPool2d(2).Forward(v[0]), GradCheck.Input(rng, [2, 3, 5, 6]));
        GradCheck.Check(v => new AvgPool2d(3, 1, 1).Forward(v[0]), GradCheck.Input(rng, [1, 2, 4, 4]));
        GradCheck.Check(v => new GlobalAvgPool2d().Forward(v[0]), GradCheck.Input(rng, [2, 3, 4, 5]));
        Assert.Equal([2, 3, 2, 3], new MaxPool2d(2).Forward(x).Shape);
        Assert.Equal([2, 3, 3, 3], new MaxPool2d(3, 2, 1).Forward(x).Shape);
        Assert.Equal([2.5f], new GlobalAvgPool2d().Forward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2)).ToArray());
    }

    [Fact]
    public void Batch_norm_training_gradients_and_running_statistics()
    {
        var rng = new Rng(23);
        var bn = new BatchNorm2d(3);
        rng.Uniform(bn.Weight.AsSpan(), 0.5f, 1.5f);
        rng.Uniform(bn.Bias.AsSpan(), -0.5f, 0.5f);
        var x = GradCheck.Input(rng, [4, 3, 2, 3], shift: 1f);
        GradCheck.Check(v => bn.Forward(v[0]), x, bn.Weight, bn.Bias);

        // Running statistics: one step from (0, 1) towards the batch's mean and unbiased variance.
        var fresh = new BatchNorm2d(3, momentum: 0.5f);
        var y = fresh.Forward(x).ToArray();
        var xs = x.ToArray();
        for (int c = 0; c < 3; c++)
        {
            var vals = Enumerable.Range(0, 4).SelectMany(b => Enumerable.Range(0, 6).Select(i => (double)xs[(b * 3 + c) * 6 + i])).ToArray();
            double mu = vals.Average(), unbiased = vals.Sum(v => (v - mu) * (v - mu)) / (vals.Length - 1);
            Assert.Equal(0.5 * mu, fresh.RunningMean.ToArray()[c], 5);
            Assert.Equal(0.5 + 0.5 * unbiased, fresh.RunningVar.ToArray()[c], 4);
            // Normalised in training mode: zero mean, unit (biased) variance per channel.
            var ys = Enumerable.Range(0, 4).SelectMany(b => Enumerable.Range(0, 6).Select(i => (double)y[(b * 3 + c) * 6 + i])).ToArray();
            Assert.Equal(0, ys.Average(), 4);
            Assert.Equal(1, ys.Average(v => v * v), 3);
        }
    }

    [Fact]
    public void Batch_norm_eval_uses_running_statistics()
    {
        var rng = new Rng(24);
        var bn = new BatchNorm2d(2);
        bn.RunningMean.AsSpan()[0] = 1f;
        bn.RunningVar.AsSpan()[1] = 4f;
        rng.Uniform(bn.Weight.AsSpan(), 0.5f, 1.5f);
        bn.Eval();
        var before = bn.RunningMean.ToArray();
        var x = GradCheck.Input(rng, [3, 2, 2, 2]);
        var y = bn.Forward(x).ToArray();
        var xs = x.ToArray();
        var g = bn.Weight.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 4 % 2;
            double expected = c == 0 ? g[0] * (xs[i] - 1) / Math.Sqrt(1 + 1e-5) : g[1] * xs[i] / Math.Sqrt(4 + 1e-5);
            Assert.Equal(expected, y[i], 4);
        }
        Assert.Equal(before, bn.RunningMean.ToArray());
        GradCheck.Check(v => bn.Forward(v[0]), x, bn.Weight, bn.Bias);
        Assert.Contains("(N, 2, H, W)", Assert.Throws<ArgumentException>(() => bn.Forward(Tensor.Zeros(1, 3, 2, 2))).Message);
    }
}
