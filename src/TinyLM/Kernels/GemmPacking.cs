using System.Runtime.CompilerServices;

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
                // op(B)(p, j) = b[j·ldb + p]: walk each stored row once, scattering with stride nr.
                float* s = b + (nint)(j0 + jr) * ldb + p0;
                for (int j = 0; j < nr; j++, s += ldb)
                {
                    float* dj = d + j;
                    for (int p = 0; p < kc; p++)
                        dj[p * nrFull] = s[p];
                }
                for (int j = nr; j < nrFull; j++)
                    for (int p = 0; p < kc; p++)
                        d[p * nrFull + j] = 0;
            }
        }
    }
}
