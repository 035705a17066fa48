using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Exp, sigmoid and tanh for the recurrent cell updates, in a Vector256 form and a scalar form that
/// produce the same bits: both evaluate the same polynomial with fused multiply-adds, so a model gives
/// identical results on machines with and without AVX2, and tests can force either path.
/// </summary>
internal static class RecurrentMath
{
    /// <summary>
    /// Whether the pointwise kernels take the Vector256 path: at <see cref="SimdLevel.V256"/> and above. Below it they run
    /// the scalar form, which gives the same bits.
    /// </summary>
    internal static bool UseVector256 => Simd.Level >= SimdLevel.V256;

    // Clamping keeps 2^n a normal float: n = round(x·log2 e) stays within [-126, 127].
    private const float ExpMin = -87f;
    private const float ExpMax = 88f;
    private const float Log2E = 1.44269504088896341f;
    // ln 2 split in a part exact in few bits and a remainder, so x - n·ln2 loses nothing for |n| ≤ 127.
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    // Minimax coefficients of (e^r - 1 - r) / r² on |r| ≤ ln2/2 (Cephes expf).
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        x = Math.Clamp(x, ExpMin, ExpMax);
        float n = MathF.Round(x * Log2E);
        float r = MathF.FusedMultiplyAdd(-n, Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(-n, Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        float e = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        return e * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpMin)), Vector256.Create(ExpMax));
        Vector256<float> n = Vector256.Round(x * Vector256.Create(Log2E));
        Vector256<float> r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Ln2Lo), r);
        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        Vector256<float> e = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        Vector256<int> bits = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return e * bits.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    // tanh(x) = sign(x)·(1 - 2/(e^{2|x|} + 1)): the exponent is non-negative, so nothing overflows
    // (the clamp saturates it to 1) and the absolute error stays near one float ulp of 1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x)
    {
        float t = 1f - 2f / (Exp(2f * MathF.Abs(x)) + 1f);
        return MathF.CopySign(t, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> signMask = Vector256.Create(-0f);
        Vector256<float> a = Vector256.AndNot(x, signMask);
        Vector256<float> t = Vector256<float>.One
            - Vector256.Create(2f) / (Exp(a + a) + Vector256<float>.One);
        return t | (x & signMask);
    }
}
