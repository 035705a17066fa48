using System.Runtime.Intrinsics;
using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Recurrent;

public class RecurrentMathTests
{
    private static float[] Grid()
    {
        var values = new List<float> { 0f, -0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 87f, -87f, 88f, 88.5f, -100f, 100f, 1e30f, -1e30f };
        for (double v = -95; v <= 95; v += 0.0137) values.Add((float)v);
        return values.ToArray();
    }

    [Fact]
    public void Scalar_functions_match_float64_within_named_tolerances()
    {
        foreach (float v in Grid())
        {
            double x = v;
            if (x is >= -87 and <= 88)
            {
                double e = Math.Exp(x);
                Assert.True(Math.Abs(RecurrentMath.Exp(v) - e) <= 3e-7 * e, $"exp({v:R}) = {RecurrentMath.Exp(v):R}, expected {e:R}");
            }
            double s = 1 / (1 + Math.Exp(-x));
            Assert.True(Math.Abs(RecurrentMath.Sigmoid(v) - s) <= 1e-7 + 3e-7 * s, $"sigmoid({v:R}) = {RecurrentMath.Sigmoid(v):R}, expected {s:R}");
            double t = Math.Tanh(x);
            Assert.True(Math.Abs(RecurrentMath.Tanh(v) - t) <= 2.5e-7, $"tanh({v:R}) = {RecurrentMath.Tanh(v):R}, expected {t:R}");
        }
        Assert.Equal(1f, RecurrentMath.Tanh(1e30f));
        Assert.Equal(-1f, RecurrentMath.Tanh(-1e30f));
        Assert.Equal(0f, RecurrentMath.Sigmoid(-1e30f), 1e-37f);
        Assert.Equal(1f, RecurrentMath.Sigmoid(1e30f));
    }

    [Fact]
    public void Vector_and_scalar_forms_give_identical_bits()
    {
        float[] grid = Grid();
        for (int i = 0; i + 8 <= grid.Length; i += 8)
        {
            var v = Vector256.Create(grid.AsSpan(i, 8));
            var exp = RecurrentMath.Exp(v);
            var sig = RecurrentMath.Sigmoid(v);
            var tanh = RecurrentMath.Tanh(v);
            for (int k = 0; k < 8; k++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(RecurrentMath.Exp(grid[i + k])), BitConverter.SingleToInt32Bits(exp[k]));
                Assert.Equal(BitConverter.SingleToInt32Bits(RecurrentMath.Sigmoid(grid[i + k])), BitConverter.SingleToInt32Bits(sig[k]));
                Assert.Equal(BitConverter.SingleToInt32Bits(RecurrentMath.Tanh(grid[i + k])), BitConverter.SingleToInt32Bits(tanh[k]));
            }
        }
    }
}
