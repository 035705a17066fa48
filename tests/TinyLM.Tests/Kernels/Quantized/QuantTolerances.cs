using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Quantized;

/// <summary>Every quantized-kernel test tolerance, in one place.</summary>
internal static class QuantTolerances
{
    /// <summary>Relative error of the float epilogue (int dot × scale product + bias) against float64.</summary>
    public const double Epilogue = 1e-6;

    /// <summary>Absolute floor for outputs near zero.</summary>
    public const double Absolute = 1e-5;

    /// <summary>Q8_0 round trip: half a step plus the f16 rounding of the scale (127 steps × 2⁻¹¹).</summary>
    public const double Q8StepFraction = 0.5 + 127.0 / 2048;

    /// <summary>Q4_0 round trip: the positive end may clamp at 7 (one full step) plus the f16 rounding of the scale.</summary>
    public const double Q4StepFraction = 1.0 + 8.0 / 2048;

    /// <summary>Block dot vs float64 of the dequantized blocks: float accumulation, per block.</summary>
    public const double BlockDotPerBlock = 4e-7;

    public static void Close(string what, double expected, double actual, double relative, double absolute = Absolute)
    {
        double bound = relative * Math.Abs(expected) + absolute;
        Assert.True(Math.Abs(expected - actual) <= bound, $"{what}: expected {expected}, got {actual} (bound {bound})");
    }

    public static float[] Random(Random rng, int count, float scale = 1f)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }
}
