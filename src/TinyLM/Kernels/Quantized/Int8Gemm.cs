using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// y = x · Wᵀ + bias with W in <see cref="Int8Matrix"/> form and x quantized per row on the fly (dynamic
/// symmetric int8). Each output is an exact int32 dot product times scale_x[i] · scale_w[j], so the Scalar,
/// V128 (SSE2 pmaddwd or AdvSimd widening multiplies), V256 (AVX2 pmaddwd), V512 (AVX-512BW pmaddwd) and VNNI
/// (AVX-VNNI vpdpwssd) paths give identical bits. The vector paths hold a panel of 4, 8 or 16 outputs per accumulator, for up to 4 rows of x at once, and
/// broadcast one activation pair per step (int8 values widened to int16; products of two int8 never
/// overflow the pairwise int16 sums). Work is split over panels of outputs, so threaded results equal serial ones.
/// </summary>
public static unsafe class Int8Gemm
{
    private const int RowBlock = 4;
    // Below this many multiply-adds a parallel-for costs more than it saves.
    private const long ParallelVolume = 1L << 18;

    /// <summary>y (m, w.Rows) = x (m, w.Cols) · Wᵀ + bias (w.Rows, or empty).</summary>
    public static void Multiply(int m, ReadOnlySpan<float> x, Int8Matrix w, ReadOnlySpan<float> bias, Span<float> y) =>
        Multiply(m, x, w, bias, y, Simd.Level, Threading.MaxThreads, Simd.Vnni);

    /// <summary>With an explicit level; <paramref name="vnni"/> picks AVX-VNNI at V256 where the CPU has it.</summary>
    internal static void Multiply(int m, ReadOnlySpan<float> x, Int8Matrix w, ReadOnlySpan<float> bias, Span<float> y, SimdLevel simd, int threads,
        bool vnni = false)
    {
        ArgumentNullException.ThrowIfNull(w);
        WeightMatrixChecks.Check("Int8Gemm.Multiply", m, w.Rows, w.Cols, x.Length, bias.Length, y.Length);
        if (m == 0 || w.Rows == 0) return;
        simd = Simd.Clamp(simd);
        vnni = vnni && simd == SimdLevel.V256 && AvxVnni.IsSupported;
        int stride = w.Stride, width = simd switch { SimdLevel.V512 => 16, SimdLevel.V256 => 8, _ => 4 };
        var q = ArrayPool<sbyte>.Shared.Rent(m * stride);
        var q16 = simd == SimdLevel.Scalar ? null : ArrayPool<short>.Shared.Rent(m * stride);
        var scales = ArrayPool<float>.Shared.Rent(m);
        try
        {
            Int8Quantizer.QuantizeRows(m, w.Cols, x, w.Cols, q, stride, scales);
            if (q16 is not null)
                for (int i = 0; i < m * stride; i++) q16[i] = q[i];
            var panels = simd == SimdLevel.Scalar ? null : w.Panels(width);
            int count = simd == SimdLevel.Scalar ? (w.Rows + 15) / 16 : (w.Rows + width - 1) / width;
            fixed (float* py = y, pb = bias)
            {
                var job = new PanelJob(m, q, q16, scales, w, panels, width, pb, py, simd, vnni);
                if ((long)m * w.Rows * w.Cols < ParallelVolume || threads <= 1)
                    for (int p = 0; p < count; p++) job.Run(p);
                else
                    Threading.For(count, job, threads);
            }
        }
        finally
        {
            ArrayPool<sbyte>.Shared.Return(q);
            if (q16 is not null) ArrayPool<short>.Shared.Return(q16);
            ArrayPool<float>.Shared.Return(scales);
        }
    }

    private sealed class PanelJob(int m, sbyte[] q, short[]? q16, float[] xScales, Int8Matrix w, short[]? panels, int width,
        float* bias, float* y, SimdLevel simd, bool vnni) : ParallelJob
    {
        public override void Run(int index)
        {
            if (simd == SimdLevel.Scalar)
            {
                RunScalar(index);
                return;
            }
            int n = w.Rows, pairs = w.Stride / 2, j0 = index * width, valid = Math.Min(width, n - j0);
            Span<int> dots = stackalloc int[RowBlock * 16];
            fixed (short* pq = q16, pp = panels)
            {
                short* panel = pp + (long)index * pairs * width * 2;
                for (int i0 = 0; i0 < m; i0 += RowBlock)
                {
                    int rows = Math.Min(RowBlock, m - i0);
                    short* a = pq + (long)i0 * w.Stride;
                    fixed (int* pd = dots)
                    {
                        if (simd == SimdLevel.V512) Panel16(a, w.Stride, rows, panel, pairs, pd);
                        else if (simd == SimdLevel.V256) Panel8(a, w.Stride, rows, panel, pairs, pd, vnni);
                        else Panel4(a, w.Stride, rows, panel, pairs, pd);
                    }
                    for (int r = 0; r < rows; r++)
                        Store(i0 + r, j0, valid, dots.Slice(r * 16, valid));
                }
            }
        }

        private void RunScalar(int index)
        {
            int n = w.Rows, cols = w.Cols, j0 = index * 16, valid = Math.Min(16, n - j0);
            Span<int> dots = stackalloc int[16];
            for (int i = 0; i < m; i++)
            {
                var a = q.AsSpan(i * w.Stride, cols);
                for (int j = 0; j < valid; j++)
                {
                    var b = w.Data.AsSpan((j0 + j) * w.Stride, cols);
                    int s = 0;
                    for (int p = 0; p < cols; p++) s += a[p] * b[p];
                    dots[j] = s;
                }
                Store(i, j0, valid, dots[..valid]);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Store(int i, int j0, int valid, ReadOnlySpan<int> dots)
        {
            float xs = xScales[i];
            float* yi = y + (long)i * w.Rows + j0;
            for (int j = 0; j < valid; j++)
            {
                float value = dots[j] * (xs * w.Scales[j0 + j]);
                yi[j] = bias == null ? value : value + bias[j0 + j];
            }
        }
    }

    // acc_r (16 int32) += pmaddwd(panel pair vector, broadcast (a_r[2kk], a_r[2kk+1])) for up to 4 rows.
    private static void Panel16(short* a, int stride, int rows, short* panel, int pairs, int* dots)
    {
        Vector512<int> s0 = default, s1 = default, s2 = default, s3 = default;
        int* a0 = (int*)a, a1 = (int*)(a + stride), a2 = (int*)(a + 2 * stride), a3 = (int*)(a + 3 * stride);
        if (rows == RowBlock)
            for (int kk = 0; kk < pairs; kk++)
            {
                var wv = Vector512.Load(panel + (long)kk * 32);
                s0 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(a0[kk]).AsInt16());
                s1 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(a1[kk]).AsInt16());
                s2 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(a2[kk]).AsInt16());
                s3 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(a3[kk]).AsInt16());
            }
        else
            for (int kk = 0; kk < pairs; kk++)
            {
                var wv = Vector512.Load(panel + (long)kk * 32);
                s0 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(a0[kk]).AsInt16());
                if (rows > 1) s1 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(a1[kk]).AsInt16());
                if (rows > 2) s2 += Avx512BW.MultiplyAddAdjacent(wv, Vector512.Create(a2[kk]).AsInt16());
            }
        s0.Store(dots);
        s1.Store(dots + 16);
        s2.Store(dots + 32);
        s3.Store(dots + 48);
    }

    private static void Panel8(short* a, int stride, int rows, short* panel, int pairs, int* dots, bool vnni)
    {
        Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
        int* a0 = (int*)a, a1 = (int*)(a + stride), a2 = (int*)(a + 2 * stride), a3 = (int*)(a + 3 * stride);
        int last = Math.Min(rows, RowBlock);
        for (int kk = 0; kk < pairs; kk++)
        {
            var wv = Vector256.Load(panel + (long)kk * 16);
            if (vnni)
            {
                s0 = AvxVnni.MultiplyWideningAndAdd(s0, wv, Vector256.Create(a0[kk]).AsInt16());
                if (last > 1) s1 = AvxVnni.MultiplyWideningAndAdd(s1, wv, Vector256.Create(a1[kk]).AsInt16());
                if (last > 2) s2 = AvxVnni.MultiplyWideningAndAdd(s2, wv, Vector256.Create(a2[kk]).AsInt16());
                if (last > 3) s3 = AvxVnni.MultiplyWideningAndAdd(s3, wv, Vector256.Create(a3[kk]).AsInt16());
            }
            else
            {
                s0 += Avx2.MultiplyAddAdjacent(wv, Vector256.Create(a0[kk]).AsInt16());
                if (last > 1) s1 += Avx2.MultiplyAddAdjacent(wv, Vector256.Create(a1[kk]).AsInt16());
                if (last > 2) s2 += Avx2.MultiplyAddAdjacent(wv, Vector256.Create(a2[kk]).AsInt16());
                if (last > 3) s3 += Avx2.MultiplyAddAdjacent(wv, Vector256.Create(a3[kk]).AsInt16());
            }
        }
        s0.Store(dots);
        s1.Store(dots + 16);
        s2.Store(dots + 32);
        s3.Store(dots + 48);
    }

    private static void Panel4(short* a, int stride, int rows, short* panel, int pairs, int* dots)
    {
        Vector128<int> s0 = default, s1 = default, s2 = default, s3 = default;
        int* a0 = (int*)a, a1 = (int*)(a + stride), a2 = (int*)(a + 2 * stride), a3 = (int*)(a + 3 * stride);
        int last = Math.Min(rows, RowBlock);
        for (int kk = 0; kk < pairs; kk++)
        {
            var wv = Vector128.Load(panel + (long)kk * 8);
            s0 += Int8Vector128.MultiplyAddAdjacent(wv, Vector128.Create(a0[kk]).AsInt16());
            if (last > 1) s1 += Int8Vector128.MultiplyAddAdjacent(wv, Vector128.Create(a1[kk]).AsInt16());
            if (last > 2) s2 += Int8Vector128.MultiplyAddAdjacent(wv, Vector128.Create(a2[kk]).AsInt16());
            if (last > 3) s3 += Int8Vector128.MultiplyAddAdjacent(wv, Vector128.Create(a3[kk]).AsInt16());
        }
        s0.Store(dots);
        s1.Store(dots + 16);
        s2.Store(dots + 32);
        s3.Store(dots + 48);
    }
}
