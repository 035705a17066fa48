using TinyLM.Kernels;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Kernels;

/// <summary>Vision: pooling and batch-norm kernels against naive float64 references.</summary>
public class Pool2dBatchNormKernelTests
{
    public static readonly TheoryData<int, int, int, int, int, int> PoolShapes = new()
    {
        // channels, height, width, kernel, stride, padding
        { 1, 4, 4, 2, 2, 0 },
        { 3, 7, 5, 2, 2, 0 },
        { 2, 7, 7, 3, 2, 1 },
        { 4, 5, 6, 3, 1, 1 },
        { 1, 9, 3, 3, 3, 0 },
    };

    private static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();

    [Theory]
    [MemberData(nameof(PoolShapes))]
    public void Max_and_average_pooling_match_float64_reference(int c, int h, int w, int k, int stride, int pad)
    {
        var s = new Pool2dShape(c, h, w, k, k, stride, stride, pad, pad);
        const int batch = 2;
        var rng = new Random(c * 100 + h * 10 + w);
        var x = Random(rng, batch * c * h * w);
        int outLen = batch * c * s.OutHeight * s.OutWidth;
        var max = new float[outLen];
        var arg = new int[outLen];
        var avg = new float[outLen];
        Pool2dKernels.MaxForward(s, batch, x, max, arg);
        Pool2dKernels.AvgForward(s, batch, x, avg);
        var gOut = Random(rng, outLen);
        var gMax = new float[x.Length];
        var gAvg = new float[x.Length];
        Pool2dKernels.MaxBackward(gOut, arg, gMax);
        Pool2dKernels.AvgBackward(s, batch, gOut, gAvg);

        var refGMax = new double[x.Length];
        var refGAvg = new double[x.Length];
        for (int p = 0; p < batch * c; p++)
            for (int oy = 0; oy < s.OutHeight; oy++)
                for (int ox = 0; ox < s.OutWidth; ox++)
                {
                    int o = (p * s.OutHeight + oy) * s.OutWidth + ox;
                    double best = double.NegativeInfinity, sum = 0;
                    int at = -1;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                        {
                            int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            int i = (p * h + iy) * w + ix;
                            sum += x[i];
                            if (x[i] > best) { best = x[i]; at = i; }
                        }
                    Assert.Equal(best, max[o]);
                    Assert.Equal(at, arg[o]);
                    Assert.True(Math.Abs(sum / (k * k) - avg[o]) <= Tolerances.Kernel * (1 + Math.Abs(sum)), $"avg[{o}]");
                    refGMax[at] += gOut[o];
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++)
                        {
                            int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) refGAvg[(p * h + iy) * w + ix] += (double)gOut[o] / (k * k);
                        }
                }
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(refGMax[i] - gMax[i]) <= 1e-5, $"max grad[{i}]");
            Assert.True(Math.Abs(refGAvg[i] - gAvg[i]) <= 1e-5, $"avg grad[{i}]");
        }
    }

    [Fact]
    public void Global_average_pooling_matches_float64_reference()
    {
        var rng = new Random(5);
        int planes = 6, size = 13;
        var x = Random(rng, planes * size);
        var y = new float[planes];
        Pool2dKernels.GlobalAvgForward(planes, size, x, y);
        var g = Random(rng, planes);
        var dx = Enumerable.Repeat(0.5f, x.Length).ToArray();
        Pool2dKernels.GlobalAvgBackward(planes, size, g, dx);
        for (int p = 0; p < planes; p++)
        {
            double mean = 0;
            for (int i = 0; i < size; i++) mean += x[p * size + i];
            Assert.True(Math.Abs(mean / size - y[p]) <= 1e-6, $"plane {p}");
            for (int i = 0; i < size; i++) Assert.True(Math.Abs(0.5 + (double)g[p] / size - dx[p * size + i]) <= 1e-6);
        }
    }

    [Fact]
    public void Pool_errors_name_the_geometry()
    {
        Assert.Contains("padding", Assert.Throws<ArgumentException>(() => new Pool2dShape(1, 4, 4, 2, 2, 2, 2, 2, 2).Validate()).Message);
        Assert.Contains("larger than", Assert.Throws<ArgumentException>(() => new Pool2dShape(1, 2, 2, 3, 3, 1, 1).Validate()).Message);
        Assert.Contains("expected 16", Assert.Throws<ArgumentException>(() =>
            Pool2dKernels.AvgForward(new Pool2dShape(1, 4, 4, 2, 2, 2, 2), 1, new float[15], new float[4])).Message);
    }

    [Theory]
    [InlineData(2, 3, 5, true)]
    [InlineData(4, 1, 9, true)]
    [InlineData(1, 5, 7, false)]
    [InlineData(3, 2, 1, true)]
    public void Batch_norm_matches_float64_reference(int n, int c, int spatial, bool batchStatistics)
    {
        var rng = new Random(n * 31 + c * 7 + spatial);
        var x = Random(rng, n * c * spatial);
        for (int i = 0; i < x.Length; i++) x[i] += 3f; // an offset the variance must not be sensitive to
        var gamma = Random(rng, c);
        var beta = Random(rng, c);
        var mean = new float[c];
        var variance = new float[c];
        BatchNormKernels.Statistics(n, c, spatial, x, mean, variance);
        if (!batchStatistics) for (int i = 0; i < c; i++) { mean[i] += 0.25f; variance[i] *= 1.5f; } // running estimates
        var invStd = variance.Select(v => 1f / MathF.Sqrt(v + 1e-5f)).ToArray();
        var y = new float[x.Length];
        BatchNormKernels.Normalize(n, c, spatial, x, mean, invStd, gamma, beta, y);
        var dy = Random(rng, x.Length);
        var dx = new float[x.Length];
        var dg = new float[c];
        var db = new float[c];
        BatchNormKernels.Backward(n, c, spatial, x, mean, invStd, gamma, dy, batchStatistics, dx, dg, db);

        double m = n * spatial;
        for (int ch = 0; ch < c; ch++)
        {
            var idx = Enumerable.Range(0, n).SelectMany(b => Enumerable.Range((b * c + ch) * spatial, spatial)).ToArray();
            double mu = idx.Average(i => (double)x[i]);
            double var = idx.Average(i => (x[i] - mu) * (x[i] - mu));
            if (batchStatistics)
            {
                Assert.True(Math.Abs(mu - mean[ch]) <= 1e-5 && Math.Abs(var - variance[ch]) <= 1e-5, $"channel {ch} statistics");
            }
            else
            {
                mu = mean[ch];
                var = variance[ch];
            }
            double istd = 1 / Math.Sqrt(var + 1e-5);
            double sumDy = idx.Sum(i => (double)dy[i]), sumDyXhat = idx.Sum(i => dy[i] * (x[i] - mu) * istd);
            Assert.True(Math.Abs(sumDy - db[ch]) <= 1e-4, $"dβ[{ch}]");
            Assert.True(Math.Abs(sumDyXhat - dg[ch]) <= 1e-4 * (1 + Math.Abs(sumDyXhat)), $"dγ[{ch}]");
            foreach (int i in idx)
            {
                double xhat = (x[i] - mu) * istd;
                double expectY = gamma[ch] * xhat + beta[ch];
                Assert.True(Math.Abs(expectY - y[i]) <= 1e-4 * (1 + Math.Abs(expectY)), $"y[{i}]");
                double expectDx = batchStatistics ? gamma[ch] * istd * (dy[i] - sumDy / m - xhat * sumDyXhat / m) : gamma[ch] * istd * dy[i];
                Assert.True(Math.Abs(expectDx - dx[i]) <= 1e-4 * (1 + Math.Abs(expectDx)), $"dx[{i}]: {expectDx} vs {dx[i]}");
            }
        }
    }
}
