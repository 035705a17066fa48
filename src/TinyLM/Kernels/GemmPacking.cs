using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// Packing copies a block of op(A) or op(B) into the order the micro-kernel reads it, so the kernel
/// streams contiguous memory whatever the transposition: a transpose is never materialised, it is
/// just a different gather here. Partial slivers are padded with zeros, so the kernel always runs
/// full tiles over the packed data.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] as ⌈mc/mr⌉ slivers of kc×mr (element (i, p) at p·mr + i).
    /// </summary>
    public static void PackA(bool transA, float* a, nint lda, int i0, int mc, int p0, int kc, float* dst, int mrFull)
    {
        for (int ir = 0; ir < mc; ir += mrFull)
        {
            int mr = Math.Min(mrFull, mc - ir);
            float* d = dst + (nint)ir * kc;
            if (transA)
            {
                // op(A)(i, p) = a[p·lda + i]: each k step is a contiguous run of mr floats.
                float* s = a + (nint)p0 * lda + i0 + ir;
                if (mr == mrFull)
                {
                    uint bytes = (uint)(mrFull * sizeof(float));
                    for (int p = 0; p < kc; p++, s += lda, d += mrFull)
                        Unsafe.CopyBlockUnaligned(d, s, bytes);
                    continue;
                }
                for (int p = 0; p < kc; p++, s += lda, d += mrFull)
                {
                    int i = 0;
                    for (; i < mr; i++) d[i] = s[i];
                    for (; i < mrFull; i++) d[i] = 0;
                }
            }
            else
            {
                float* s = a + (nint)(i0 + ir) * lda + p0;
                if (mr == mrFull && Avx.IsSupported && (mrFull == 8 || mrFull == 6))
                {
                    // A transpose of an mr×kc block: through registers, 8 (or 4) k steps at a time.
                    int p = 0;
                    if (mrFull == 8)
                        for (; p + 8 <= kc; p += 8)
                            Transpose8x8(s + p, lda, d + p * 8, 8);
                    else
                        for (; p + 4 <= kc; p += 4)
                            Transpose6x4(s + p, lda, d + p * 6);
                    for (; p < kc; p++)
                        for (int i = 0; i < mrFull; i++)
                            d[p * mrFull + i] = s[i * lda + p];
                    continue;
                }
                if (mr == mrFull)
                {
                    // Row by row: contiguous reads, stores strided by mr (within a few cache lines).
                    for (int i = 0; i < mrFull; i++, s += lda)
                    {
                        float* di = d + i;
                        for (int p = 0; p < kc; p++)
                            di[p * mrFull] = s[p];
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++, d += mrFull)
                {
                    int i = 0;
                    for (; i < mr; i++) d[i] = s[i * lda + p];
                    for (; i < mrFull; i++) d[i] = 0;
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] as ⌈nc/nr⌉ slivers of kc×nr (element (p, j) at p·nr + j).
    /// </summary>
    public static void PackB(bool transB, float* b, nint ldb, int p0, int kc, int j0, int nc, float* dst, int nrFull)
    {
        for (int jr = 0; jr < nc; jr += nrFull)
        {
            int nr = Math.Min(nrFull, nc - jr);
            float* d = dst + (nint)jr * kc;
            if (!transB)
            {
                // op(B)(p, j) = b[p·ldb + j]: each k step is a contiguous run of nr floats.
                float* s = b + (nint)p0 * ldb + j0 + jr;
                if (nr == nrFull)
                {
                    uint bytes = (uint)(nrFull * sizeof(float));
                    for (int p = 0; p < kc; p++, s += ldb, d += nrFull)
                        Unsafe.CopyBlockUnaligned(d, s, bytes);
                    continue;
                }
                for (int p = 0; p < kc; p++, s += ldb, d += nrFull)
                {
                    int j = 0;
                    for (; j < nr; j++) d[j] = s[j];
                    for (; j < nrFull; j++) d[j] = 0;
                }
            }
            else
            {
                // op(B)(p, j) = b[j·ldb + p]: a transpose. Whole 8×8 blocks go through registers (a scalar
                // scatter costs about as much as the product itself when m is small, as in h·W_hhᵀ).
                float* s = b + (nint)(j0 + jr) * ldb + p0;
                int j = 0;
                if (Avx.IsSupported)
                    for (; j + 8 <= nr; j += 8)
                    {
                        int p = 0;
                        for (; p + 8 <= kc; p += 8)
                            Transpose8x8(s + j * ldb + p, ldb, d + p * nrFull + j, nrFull);
                        for (; p < kc; p++)
                            for (int jj = j; jj < j + 8; jj++)
                                d[p * nrFull + jj] = s[jj * ldb + p];
                    }
                for (; j < nr; j++)
                {
                    float* sj = s + j * ldb, dj = d + j;
                    for (int p = 0; p < kc; p++)
                        dj[p * nrFull] = sj[p];
                }
                for (j = nr; j < nrFull; j++)
                    for (int p = 0; p < kc; p++)
                        d[p * nrFull + j] = 0;
            }
        }
    }

    /// <summary>dst[c·6 + r] = src[r·lds + c] for 6 rows × 4 columns: rows 0–3 as a 4×4 transpose, rows 4–5 as pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose6x4(float* src, nint lds, float* dst)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + lds);
        var r2 = Sse.LoadVector128(src + 2 * lds);
        var r3 = Sse.LoadVector128(src + 3 * lds);
        var r4 = Sse.LoadVector128(src + 4 * lds);
        var r5 = Sse.LoadVector128(src + 5 * lds);
        var t0 = Sse.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1]
        var t1 = Sse.UnpackLow(r2, r3);   // r2[0] r3[0] r2[1] r3[1]
        var t2 = Sse.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3]
        var t3 = Sse.UnpackHigh(r2, r3);
        var t4 = Sse.UnpackLow(r4, r5);   // r4[0] r5[0] r4[1] r5[1]
        var t5 = Sse.UnpackHigh(r4, r5);  // r4[2] r5[2] r4[3] r5[3]
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t1));
        Sse.StoreLow(dst + 4, t4);
        Sse.Store(dst + 6, Sse.MoveHighToLow(t1, t0));
        Sse.StoreHigh(dst + 10, t4);
        Sse.Store(dst + 12, Sse.MoveLowToHigh(t2, t3));
        Sse.StoreLow(dst + 16, t5);
        Sse.Store(dst + 18, Sse.MoveHighToLow(t3, t2));
        Sse.StoreHigh(dst + 22, t5);
    }

    /// <summary>dst[c·ldd + r] = src[r·lds + c] for an 8×8 block (unpack, shuffle, then swap 128-bit halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds);
        var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds);
        var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds);
        var r7 = Avx.LoadVector256(src + 7 * lds);
        // Interleave pairs of rows: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], …
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        // Gather four rows per column within each 128-bit lane.
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Rows 0–3 sit in u0..u3, rows 4–7 in u4..u7; columns c and c + 4 share a register's two lanes.
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
