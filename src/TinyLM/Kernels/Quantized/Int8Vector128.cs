using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// The two integer multiply-adds the quantized kernels need at Vector128, on whatever instructions the CPU has: SSSE3
/// (pmaddubsw, pmaddwd) on x64, the dot-product extension or widening multiplies on ARM64, and a portable form
/// elsewhere. Every form sums exactly in int32, so all give the same lanes.
/// </summary>
internal static class Int8Vector128
{
    /// <summary>
    /// Lane L = Σ w[j]·a[j] over j in 4L..4L+3. Both inputs must lie in [−127, 127] (the quantizers' range), which keeps
    /// SSSE3's sign trick and its saturating pair sums (at most 2·127·127) exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Dot4(Vector128<sbyte> w, Vector128<sbyte> a)
    {
        if (Ssse3.IsSupported)
            return Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(Ssse3.Abs(w), Ssse3.Sign(a, w)), Vector128.Create((short)1));
        if (Dp.IsSupported)
            return Dp.DotProduct(Vector128<int>.Zero, w, a);
        if (AdvSimd.Arm64.IsSupported)
        {
            var low = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningLower(w.GetLower(), a.GetLower()));
            var high = AdvSimd.AddPairwiseWidening(AdvSimd.MultiplyWideningUpper(w, a));
            return AdvSimd.Arm64.AddPairwise(low, high);
        }
        return Dot4Portable(w, a);
    }

    /// <summary>Lane L = a[2L]·b[2L] + a[2L+1]·b[2L+1] in int32 (pmaddwd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> MultiplyAddAdjacent(Vector128<short> a, Vector128<short> b)
    {
        if (Sse2.IsSupported)
            return Sse2.MultiplyAddAdjacent(a, b);
        if (AdvSimd.Arm64.IsSupported)
            return AdvSimd.Arm64.AddPairwise(AdvSimd.MultiplyWideningLower(a.GetLower(), b.GetLower()), AdvSimd.MultiplyWideningUpper(a, b));
        return MultiplyAddAdjacentPortable(a, b);
    }

    // The portable forms: widen, multiply, then add neighbours. Internal so tests check them on any CPU.
    internal static Vector128<int> Dot4Portable(Vector128<sbyte> w, Vector128<sbyte> a)
    {
        var (wl, wh) = Vector128.Widen(w);
        var (al, ah) = Vector128.Widen(a);
        return AddAdjacent(MultiplyAddAdjacentPortable(wl, al), MultiplyAddAdjacentPortable(wh, ah));
    }

    internal static Vector128<int> MultiplyAddAdjacentPortable(Vector128<short> a, Vector128<short> b)
    {
        var (al, ah) = Vector128.Widen(a);
        var (bl, bh) = Vector128.Widen(b);
        return AddAdjacent(al * bl, ah * bh);
    }

    // (x0+x1, x2+x3, y0+y1, y2+y3).
    private static Vector128<int> AddAdjacent(Vector128<int> x, Vector128<int> y) =>
        Vector128.Create(x[0] + x[1], x[2] + x[3], y[0] + y[1], y[2] + y[3]);
}
