using TinyLM.Kernels;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Kernels;

public unsafe class CachedAttentionTests
{
    // qScale 40 gives scores far above 88, where an unshifted exp overflows (a trained width-256 model got there).
    [SimdTheory]
    [InlineData("Scalar", 1f)]
    [InlineData("V128", 1f)]
    [InlineData("V256", 1f)]
    [InlineData("V512", 1f)]
    [InlineData("Scalar", 40f)]
    [InlineData("V512", 40f)]
    public void MatchesFloat64Reference(string path, float qScale)
    {
        var simd = Enum.Parse<SimdLevel>(path);
        var rng = new Rng(23);
        foreach (int d in new[] { 1, 7, 8, 16, 17, 31, 48, 64, 65, 100, 128 })
            foreach (int len in new[] { 1, 2, 3, 4, 5, 9, 64, 257 })
            {
                int stride = 2 * d + 3, offset = d + 1; // a head's slice inside wider cache rows
                var cacheK = new float[len * stride];
                var cacheV = new float[len * stride];
                var q = new float[d];
                rng.Normal(cacheK);
                rng.Normal(cacheV);
                rng.Normal(q);
                for (int i = 0; i < d; i++) q[i] *= qScale;
                float scale = 1f / MathF.Sqrt(d);
                var scores = new float[len + 5];
                var output = new float[d];
                fixed (float* pq = q, pk = cacheK, pv = cacheV, po = output)
                    CachedAttention.Head(pq, pk + offset, pv + offset, stride, len, d, scale, scores, po, simd);

                var p = new double[len];
                double max = double.NegativeInfinity, sum = 0;
                for (int t = 0; t < len; t++)
                {
                    for (int i = 0; i < d; i++) p[t] += (double)q[i] * cacheK[t * stride + offset + i];
                    p[t] *= scale;
                    max = Math.Max(max, p[t]);
                }
                for (int t = 0; t < len; t++) sum += p[t] = Math.Exp(p[t] - max);
                for (int t = 0; t < len; t++)
                {
                    p[t] /= sum;
                    Assert.True(Math.Abs(scores[t] - p[t]) <= 1e-5 * qScale, $"{path} ×{qScale} d {d} len {len}: p[{t}] {scores[t]} vs {p[t]}");
                }
                for (int i = 0; i < d; i++)
                {
                    double expected = 0, magnitude = 0;
                    for (int t = 0; t < len; t++)
                    {
                        expected += p[t] * cacheV[t * stride + offset + i];
                        magnitude += Math.Abs(p[t] * cacheV[t * stride + offset + i]);
                    }
                    Assert.True(Math.Abs(output[i] - expected) <= 1e-5 * qScale * (1 + magnitude), $"{path} ×{qScale} d {d} len {len}: out[{i}] {output[i]} vs {expected}");
                }
            }
    }

    [Theory]
    [InlineData(4, 0, 4, 4)]  // no positions
    [InlineData(4, 8, 4, 4)]  // scores shorter than len
    [InlineData(3, 2, 4, 4)]  // rows narrower than the head
    public void RejectsBadShapes(int stride, int len, int d, int scoreFloats)
    {
        var buffer = GC.AllocateArray<float>(64, pinned: true);
        nint address;
        fixed (float* p = buffer) address = (nint)p;
        var ex = Assert.Throws<ArgumentException>(() =>
        {
            float* p = (float*)address;
            CachedAttention.Head(p, p, p, stride, len, d, 1f, new float[scoreFloats], p);
        });
        Assert.Contains($"len {len}, d {d}, stride {stride}", ex.Message);
        GC.KeepAlive(buffer);
    }
}
