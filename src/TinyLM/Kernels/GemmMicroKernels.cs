using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// A register-tiled micro-kernel: computes an Mr×Nr tile of C from an A sliver and a B sliver.
/// Element (i, p) of the A sliver is a[i·rsA + p·csA] (packed: rsA = 1, csA = Mr; unpacked: the
/// matrix's own strides); row p of the B sliver is the Nr floats at b + p·rsB (packed: rsB = Nr).
/// The tile is then written as C = alpha·acc + beta·C over its mr×nr valid corner (beta == 0
/// never reads C). Every element's arithmetic is the same whether its tile is full or partial, so
/// results do not depend on where tile boundaries fall — which is what keeps threaded runs
/// bit-identical to serial ones.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    static abstract int Mr { get; }
    static abstract int Nr { get; }

    /// <summary>Largest m·n·k for which the unpacked path beats packing with this kernel (measured).</summary>
    static abstract long DirectVolume { get; }

    static abstract void Run(nint kc, float* a, nint rsA, nint csA, float* b, nint rsB,
        float* c, nint ldc, float alpha, float beta, int mr, int nr);

    /// <summary>Run with packed slivers (rsA = 1, csA = Mr, rsB = Nr): one A pointer, unrolled by two.</summary>
    static abstract void RunPacked(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mr, int nr);
}

/// <summary>Epilogue shared by the kernels for partial tiles; same rounding as the vector stores.</summary>
internal static unsafe class GemmEpilogue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScalar(float* acc, int accStride, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        for (int i = 0; i < mr; i++)
        {
            float* ci = c + i * ldc;
            float* ai = acc + i * accStride;
            if (beta == 0)
                for (int j = 0; j < nr; j++) ci[j] = ai[j] * alpha;
            else
                for (int j = 0; j < nr; j++) ci[j] = MathF.FusedMultiplyAdd(ai[j], alpha, beta * ci[j]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* c, Vector512<float> acc, Vector512<float> alpha, float beta)
    {
        if (beta == 0 && alpha == Vector512<float>.One)
            acc.Store(c);
        else if (beta == 0)
            (acc * alpha).Store(c);
        else
            Vector512.FusedMultiplyAdd(acc, alpha, Vector512.Create(beta) * Vector512.Load(c)).Store(c);
    }
}

/// <summary>
/// AVX-512 kernel, 8×32: 16 accumulators + 2 B vectors + 1 broadcast of the 32 zmm registers. Eight rows
/// divide the power-of-two shapes that models use, so few tiles are partial. Only run at <see cref="SimdLevel.V512"/>,
/// which the switch grants only where the CPU has AVX-512.
/// </summary>
[SkipLocalsInit] // the partial-tile spill buffer is fully written before it is read
internal readonly unsafe struct GemmKernel8x32 : IGemmMicroKernel
{
    public static int Mr => 8;
    public static int Nr => 32;
    public static long DirectVolume => 1024L * 1024 * 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, nint rsA, nint csA, float* b, nint rsB,
        float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        // Rows past mr re-read row 0: their results are discarded, and no pointer leaves A.
        float* a0 = a;
        float* a1 = a + (mr > 1 ? 1 * rsA : 0);
        float* a2 = a + (mr > 2 ? 2 * rsA : 0);
        float* a3 = a + (mr > 3 ? 3 * rsA : 0);
        float* a4 = a + (mr > 4 ? 4 * rsA : 0);
        float* a5 = a + (mr > 5 ? 5 * rsA : 0);
        float* a6 = a + (mr > 6 ? 6 * rsA : 0);
        float* a7 = a + (mr > 7 ? 7 * rsA : 0);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> b0, b1, x;
        nint off = 0;
        if (csA == 1)
        {
            // A rows contiguous in k (op(A) = A): unroll by four with constant displacements.
            for (; off + 4 <= kc; off += 4)
            {
            b0 = Vector512.Load(b);
            b1 = Vector512.Load(b + 16);
            x = Vector512.Create(a0[off]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[off]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[off]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[off]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[off]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[off]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[off]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[off]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b += rsB;
            b0 = Vector512.Load(b);
            b1 = Vector512.Load(b + 16);
            x = Vector512.Create(a0[off + 1]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[off + 1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[off + 1]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[off + 1]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[off + 1]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[off + 1]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[off + 1]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[off + 1]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b += rsB;
            b0 = Vector512.Load(b);
            b1 = Vector512.Load(b + 16);
            x = Vector512.Create(a0[off + 2]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[off + 2]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[off + 2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[off + 2]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[off + 2]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[off + 2]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[off + 2]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[off + 2]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b += rsB;
            b0 = Vector512.Load(b);
            b1 = Vector512.Load(b + 16);
            x = Vector512.Create(a0[off + 3]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[off + 3]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[off + 3]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[off + 3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[off + 3]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[off + 3]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[off + 3]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[off + 3]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b += rsB;
            }
            for (; off < kc; off++)
            {
            b0 = Vector512.Load(b);
            b1 = Vector512.Load(b + 16);
            x = Vector512.Create(a0[off]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[off]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[off]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[off]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[off]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[off]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[off]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[off]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b += rsB;
            }
        }
        else
        {
            for (nint end = kc * csA; off < end; off += csA)
            {
            b0 = Vector512.Load(b);
            b1 = Vector512.Load(b + 16);
            x = Vector512.Create(a0[off]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[off]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[off]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[off]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[off]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[off]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[off]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[off]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b += rsB;
            }
        }
        Finish(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c, ldc, alpha, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunPacked(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        nint p = kc;
        for (; p >= 2; p -= 2)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b0 = Vector512.Load(b + 32);
            b1 = Vector512.Load(b + 48);
            x = Vector512.Create(a[8]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[9]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[10]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[11]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[12]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[13]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[14]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[15]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += 16;
            b += 64;
        }
        if (p != 0)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        Finish(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c, ldc, alpha, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(Vector512<float> c00, Vector512<float> c01, Vector512<float> c10, Vector512<float> c11, Vector512<float> c20, Vector512<float> c21, Vector512<float> c30, Vector512<float> c31, Vector512<float> c40, Vector512<float> c41, Vector512<float> c50, Vector512<float> c51, Vector512<float> c60, Vector512<float> c61, Vector512<float> c70, Vector512<float> c71,
        float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        var va = Vector512.Create(alpha);
        if (mr == 8 && nr == 32)
        {
            GemmEpilogue.Store(c, c00, va, beta); GemmEpilogue.Store(c + 16, c01, va, beta); c += ldc;
            GemmEpilogue.Store(c, c10, va, beta); GemmEpilogue.Store(c + 16, c11, va, beta); c += ldc;
            GemmEpilogue.Store(c, c20, va, beta); GemmEpilogue.Store(c + 16, c21, va, beta); c += ldc;
            GemmEpilogue.Store(c, c30, va, beta); GemmEpilogue.Store(c + 16, c31, va, beta); c += ldc;
            GemmEpilogue.Store(c, c40, va, beta); GemmEpilogue.Store(c + 16, c41, va, beta); c += ldc;
            GemmEpilogue.Store(c, c50, va, beta); GemmEpilogue.Store(c + 16, c51, va, beta); c += ldc;
            GemmEpilogue.Store(c, c60, va, beta); GemmEpilogue.Store(c + 16, c61, va, beta); c += ldc;
            GemmEpilogue.Store(c, c70, va, beta); GemmEpilogue.Store(c + 16, c71, va, beta);
            return;
        }
        float* t = stackalloc float[8 * 32];
        c00.Store(t + 0); c01.Store(t + 16);
        c10.Store(t + 32); c11.Store(t + 48);
        c20.Store(t + 64); c21.Store(t + 80);
        c30.Store(t + 96); c31.Store(t + 112);
        c40.Store(t + 128); c41.Store(t + 144);
        c50.Store(t + 160); c51.Store(t + 176);
        c60.Store(t + 192); c61.Store(t + 208);
        c70.Store(t + 224); c71.Store(t + 240);
        GemmEpilogue.StoreScalar(t, 32, c, ldc, alpha, beta, mr, nr);
    }
}

/// <summary>Portable fallback, 4×4 of scalar accumulators (16 fit the 16 xmm registers of x64).</summary>
[SkipLocalsInit] // the partial-tile spill buffer is fully written before it is read
internal readonly unsafe struct GemmKernelScalar4x4 : IGemmMicroKernel
{
    public static int Mr => 4;
    public static int Nr => 4;
    public static long DirectVolume => 64L * 64 * 64;

    public static void Run(nint kc, float* a, nint rsA, nint csA, float* b, nint rsB,
        float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        float* a0 = a;
        float* a1 = a + (mr > 1 ? rsA : 0);
        float* a2 = a + (mr > 2 ? 2 * rsA : 0);
        float* a3 = a + (mr > 3 ? 3 * rsA : 0);
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        nint off = 0;
        for (nint p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float x = a0[off];
            c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
            x = a1[off];
            c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
            x = a2[off];
            c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
            x = a3[off];
            c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            off += csA;
            b += rsB;
        }
        float* t = stackalloc float[16];
        t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
        t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
        t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
        t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
        GemmEpilogue.StoreScalar(t, 4, c, ldc, alpha, beta, mr, nr);
    }

    public static void RunPacked(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mr, int nr)
        => Run(kc, a, 1, 4, b, 4, c, ldc, alpha, beta, mr, nr);
}
