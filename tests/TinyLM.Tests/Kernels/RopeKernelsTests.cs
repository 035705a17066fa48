using TinyLM.Kernels;
using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Tests.Kernels;

public class RopeKernelsTests
{
    // Tables as RotaryEmbedding builds them, in float64 for the reference and float32 for the kernel.
    private static (float[] Cos2, float[] Sin2, double[] Angles) Tables(int positions, int d, bool inverse)
    {
        var cos2 = new float[positions * d];
        var sin2 = new float[positions * d];
        var angles = new double[positions * d / 2];
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < d / 2; i++)
            {
                double angle = p * Math.Pow(10000.0, -2.0 * i / d);
                angles[p * d / 2 + i] = angle;
                float c = (float)Math.Cos(angle), s = (float)Math.Sin(angle) * (inverse ? -1 : 1);
                (cos2[p * d + 2 * i], cos2[p * d + 2 * i + 1]) = (c, c);
                (sin2[p * d + 2 * i], sin2[p * d + 2 * i + 1]) = (-s, s);
            }
        return (cos2, sin2, angles);
    }

    [SimdTheory]
    [InlineData("Scalar")]
    [InlineData("V128")]
    [InlineData("V256")]
    [InlineData("V512")]
    public void MatchesFloat64ReferenceAndTheScalarBits(string path)
    {
        var simd = Enum.Parse<SimdLevel>(path);
        var rng = new Rng(31);
        foreach (int d in new[] { 2, 6, 8, 32, 48 })
            foreach (var (rows, time, heads, start) in new[] { (1, 1, 1, 0), (3, 5, 2, 0), (2, 7, 3, 4), (12, 64, 4, 0), (1, 9, 5, 100) })
                foreach (bool accumulate in new[] { false, true })
                {
                    int vectors = rows * time * heads;
                    var (cos2, sin2, angles) = Tables(start + time, d, inverse: false);
                    var x = new float[vectors * d];
                    var y0 = new float[x.Length];
                    rng.Normal(x);
                    rng.Normal(y0);
                    var y = (float[])y0.Clone();
                    RopeKernels.Rotate(x, y, vectors, time, heads, d, start, cos2, sin2, accumulate, simd);
                    var scalar = (float[])y0.Clone();
                    RopeKernels.Rotate(x, scalar, vectors, time, heads, d, start, cos2, sin2, accumulate, SimdLevel.Scalar);
                    Assert.Equal(scalar, y);
                    for (int v = 0; v < vectors; v++)
                    {
                        int pos = start + v / heads % time;
                        for (int i = 0; i < d / 2; i++)
                        {
                            double a = angles[pos * d / 2 + i], x0 = x[v * d + 2 * i], x1 = x[v * d + 2 * i + 1];
                            double r0 = x0 * Math.Cos(a) - x1 * Math.Sin(a), r1 = x0 * Math.Sin(a) + x1 * Math.Cos(a);
                            if (accumulate) (r0, r1) = (r0 + y0[v * d + 2 * i], r1 + y0[v * d + 2 * i + 1]);
                            Assert.Equal(r0, y[v * d + 2 * i], 1e-5);
                            Assert.Equal(r1, y[v * d + 2 * i + 1], 1e-5);
                        }
                    }
                }
    }

    [Fact]
    public void InPlaceInverseUndoesTheRotation()
    {
        var rope = new RotaryEmbedding(32, 80);
        var data = new float[2 * 64 * 3 * 32];
        new Rng(5).Normal(data);
        var original = (float[])data.Clone();
        rope.Rotate(data, 2, 64, 3, 16);
        Assert.NotEqual(original, data);
        rope.Rotate(data, 2, 64, 3, 16, inverse: true);
        for (int i = 0; i < data.Length; i++) Assert.Equal(original[i], data[i], 1e-5);
    }

    [Fact]
    public void PositionsBeyondTheTablesFailClearly()
    {
        var (cos2, sin2, _) = Tables(4, 8, inverse: false);
        var x = new float[2 * 8];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RopeKernels.Rotate(x, x, 2, 2, 1, 8, 3, cos2, sin2, accumulate: false));
        Assert.Contains("exceed tables of 4 positions", error.Message);
    }
}
