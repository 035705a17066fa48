using System.Runtime.CompilerServices;

namespace TinyLM.Kernels;

/// <summary>
/// The 6-row micro-kernel, 6×(2·width), written once for Vector256 (6×16: AVX2+FMA) and Vector128 (6×8: SSE, AdvSimd):
/// 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 vector registers of x64. Per k step: 2 loads,
/// 6 broadcasts, 12 multiply-adds — enough independent chains to hide their latency on two FMA pipes.
/// </summary>
[SkipLocalsInit] // the partial-tile spill buffer is fully written before it is read
internal readonly unsafe struct GemmKernel6Rows<TOps, TV> : IGemmMicroKernel
    where TOps : IVectorOps<TV>
    where TV : struct
{
    public static int Mr => 6;
    public static int Nr => 2 * TOps.Count;
    // Measured for 6×16 on Zen 3; the 6×8 tile keeps the same bound (its k×Nr sliver is half as large).
    public static long DirectVolume => 256L * 256 * 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, nint rsA, nint csA, float* b, nint rsB,
        float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        // Rows past mr re-read row 0: their results are discarded, and no pointer leaves A.
        float* a0 = a;
        float* a1 = a + (mr > 1 ? rsA : 0);
        float* a2 = a + (mr > 2 ? 2 * rsA : 0);
        float* a3 = a + (mr > 3 ? 3 * rsA : 0);
        float* a4 = a + (mr > 4 ? 4 * rsA : 0);
        float* a5 = a + (mr > 5 ? 5 * rsA : 0);
        int w = TOps.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // One running offset and an end mark keep the loop within the 16 general registers (no spills).
        nint off = 0, end = kc * csA;
        for (; off < end; off += csA)
        {
            var b0 = TOps.Load(b);
            var b1 = TOps.Load(b + w);
            var x = TOps.Broadcast(a0[off]);
            c00 = TOps.MultiplyAdd(x, b0, c00);
            c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(a1[off]);
            c10 = TOps.MultiplyAdd(x, b0, c10);
            c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(a2[off]);
            c20 = TOps.MultiplyAdd(x, b0, c20);
            c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(a3[off]);
            c30 = TOps.MultiplyAdd(x, b0, c30);
            c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(a4[off]);
            c40 = TOps.MultiplyAdd(x, b0, c40);
            c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(a5[off]);
            c50 = TOps.MultiplyAdd(x, b0, c50);
            c51 = TOps.MultiplyAdd(x, b1, c51);
            b += rsB;
        }

        Finish(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c, ldc, alpha, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunPacked(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        int w = TOps.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint p = kc;
        for (; p >= 2; p -= 2)
        {
            var b0 = TOps.Load(b);
            var b1 = TOps.Load(b + w);
            var x0 = TOps.Broadcast(a[0]);
            c00 = TOps.MultiplyAdd(x0, b0, c00);
            c01 = TOps.MultiplyAdd(x0, b1, c01);
            x0 = TOps.Broadcast(a[1]);
            c10 = TOps.MultiplyAdd(x0, b0, c10);
            c11 = TOps.MultiplyAdd(x0, b1, c11);
            x0 = TOps.Broadcast(a[2]);
            c20 = TOps.MultiplyAdd(x0, b0, c20);
            c21 = TOps.MultiplyAdd(x0, b1, c21);
            x0 = TOps.Broadcast(a[3]);
            c30 = TOps.MultiplyAdd(x0, b0, c30);
            c31 = TOps.MultiplyAdd(x0, b1, c31);
            x0 = TOps.Broadcast(a[4]);
            c40 = TOps.MultiplyAdd(x0, b0, c40);
            c41 = TOps.MultiplyAdd(x0, b1, c41);
            x0 = TOps.Broadcast(a[5]);
            c50 = TOps.MultiplyAdd(x0, b0, c50);
            c51 = TOps.MultiplyAdd(x0, b1, c51);
            b0 = TOps.Load(b + 2 * w);
            b1 = TOps.Load(b + 3 * w);
            x0 = TOps.Broadcast(a[6]);
            c00 = TOps.MultiplyAdd(x0, b0, c00);
            c01 = TOps.MultiplyAdd(x0, b1, c01);
            x0 = TOps.Broadcast(a[7]);
            c10 = TOps.MultiplyAdd(x0, b0, c10);
            c11 = TOps.MultiplyAdd(x0, b1, c11);
            x0 = TOps.Broadcast(a[8]);
            c20 = TOps.MultiplyAdd(x0, b0, c20);
            c21 = TOps.MultiplyAdd(x0, b1, c21);
            x0 = TOps.Broadcast(a[9]);
            c30 = TOps.MultiplyAdd(x0, b0, c30);
            c31 = TOps.MultiplyAdd(x0, b1, c31);
            x0 = TOps.Broadcast(a[10]);
            c40 = TOps.MultiplyAdd(x0, b0, c40);
            c41 = TOps.MultiplyAdd(x0, b1, c41);
            x0 = TOps.Broadcast(a[11]);
            c50 = TOps.MultiplyAdd(x0, b0, c50);
            c51 = TOps.MultiplyAdd(x0, b1, c51);
            a += 12;
            b += 4 * w;
        }
        if (p != 0)
        {
            var b0 = TOps.Load(b);
            var b1 = TOps.Load(b + w);
            var x0 = TOps.Broadcast(a[0]);
            c00 = TOps.MultiplyAdd(x0, b0, c00);
            c01 = TOps.MultiplyAdd(x0, b1, c01);
            x0 = TOps.Broadcast(a[1]);
            c10 = TOps.MultiplyAdd(x0, b0, c10);
            c11 = TOps.MultiplyAdd(x0, b1, c11);
            x0 = TOps.Broadcast(a[2]);
            c20 = TOps.MultiplyAdd(x0, b0, c20);
            c21 = TOps.MultiplyAdd(x0, b1, c21);
            x0 = TOps.Broadcast(a[3]);
            c30 = TOps.MultiplyAdd(x0, b0, c30);
            c31 = TOps.MultiplyAdd(x0, b1, c31);
            x0 = TOps.Broadcast(a[4]);
            c40 = TOps.MultiplyAdd(x0, b0, c40);
            c41 = TOps.MultiplyAdd(x0, b1, c41);
            x0 = TOps.Broadcast(a[5]);
            c50 = TOps.MultiplyAdd(x0, b0, c50);
            c51 = TOps.MultiplyAdd(x0, b1, c51);
        }

        Finish(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c, ldc, alpha, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(TV c00, TV c01, TV c10, TV c11, TV c20, TV c21, TV c30, TV c31, TV c40, TV c41, TV c50, TV c51,
        float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        int w = TOps.Count;
        var va = TOps.Broadcast(alpha);
        if (mr == 6 && nr == 2 * w)
        {
            Store(c, c00, va, beta); Store(c + w, c01, va, beta); c += ldc;
            Store(c, c10, va, beta); Store(c + w, c11, va, beta); c += ldc;
            Store(c, c20, va, beta); Store(c + w, c21, va, beta); c += ldc;
            Store(c, c30, va, beta); Store(c + w, c31, va, beta); c += ldc;
            Store(c, c40, va, beta); Store(c + w, c41, va, beta); c += ldc;
            Store(c, c50, va, beta); Store(c + w, c51, va, beta);
            return;
        }
        // Room for the widest instantiation (2·8 columns); only 6·2·w floats are used.
        float* t = stackalloc float[6 * 16];
        int s = 2 * w;
        TOps.Store(c00, t); TOps.Store(c01, t + w); TOps.Store(c10, t + s); TOps.Store(c11, t + s + w);
        TOps.Store(c20, t + 2 * s); TOps.Store(c21, t + 2 * s + w); TOps.Store(c30, t + 3 * s); TOps.Store(c31, t + 3 * s + w);
        TOps.Store(c40, t + 4 * s); TOps.Store(c41, t + 4 * s + w); TOps.Store(c50, t + 5 * s); TOps.Store(c51, t + 5 * s + w);
        GemmEpilogue.StoreScalar(t, s, c, ldc, alpha, beta, mr, nr);
    }

    // C = alpha·acc (+ beta·C): the same rounding as GemmEpilogue.StoreScalar, so partial and full tiles agree.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, TV acc, TV alpha, float beta)
    {
        if (beta == 0)
            TOps.Store(TOps.Multiply(acc, alpha), c);
        else
            TOps.Store(TOps.MultiplyAdd(acc, alpha, TOps.Multiply(TOps.Broadcast(beta), TOps.Load(c))), c);
    }
}
