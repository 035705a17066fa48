using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// y = x · Wᵀ + bias with W in <see cref="Int8Matrix"/> form and x quantized per row on the fly
/// (dynamic symmetric int8). Each output is an exact int32 dot product times scale_x[i] · scale_w[j], so
/// the Scalar, V256 (AVX2 sign-extend + pmaddwd), V512 (AVX-512BW) and VNNI (AVX-VNNI u8×s8 with a
/// 128·ΣW offset correction) paths give identical bits. Work is split over blocks of output columns,
/// so threaded results equal serial ones.
/// </summary>
public static unsafe class Int8Gemm
{
    private const int ColumnBlock = 16;
    // Below this many multiply-adds a parallel-for costs more than it saves.
    private const long ParallelVolume = 1L << 17;

    /// <summary>y (m, w.Rows) = x (m, w.Cols) · Wᵀ + bias (w.Rows, or empty).</summary>
    public static void Multiply(int m, ReadOnlySpan<float> x, Int8Matrix w, ReadOnlySpan<float> bias, Span<float> y) =>
        Multiply(m, x, w, bias, y, QuantPaths.Current, Threading.MaxThreads);

    internal static void Multiply(int m, ReadOnlySpan<float> x, Int8Matrix w, ReadOnlySpan<float> bias, Span<float> y, QuantSimd simd, int threads)
    {
        ArgumentNullException.ThrowIfNull(w);
        WeightMatrixChecks.Check("Int8Gemm.Multiply", m, w.Rows, w.Cols, x.Length, bias.Length, y.Length);
        if (m == 0 || w.Rows == 0) return;
        int stride = w.Stride;
        var q = ArrayPool<sbyte>.Shared.Rent(m * stride);
        var scales = ArrayPool<float>.Shared.Rent(m);
        try
        {
            Int8Quantizer.QuantizeRows(m, w.Cols, x, w.Cols, q, stride, scales);
            simd = QuantPaths.Resolve(simd);
            if (simd == QuantSimd.Vnni)
                for (int i = 0; i < m * stride; i++) q[i] = (sbyte)(q[i] ^ unchecked((sbyte)0x80)); // now (byte)(q + 128)
            int blocks = (w.Rows + ColumnBlock - 1) / ColumnBlock;
            fixed (float* py = y, pb = bias)
            {
                var job = new BlockJob(m, q, scales, w, pb, py, simd);
                if ((long)m * w.Rows * w.Cols < ParallelVolume || threads <= 1)
                    for (int b = 0; b < blocks; b++) job.Run(b);
                else
                    Threading.For(blocks, job, threads);
            }
        }
        finally
        {
            ArrayPool<sbyte>.Shared.Return(q);
            ArrayPool<float>.Shared.Return(scales);
        }
    }

    /// <summary>Exact Σ a[i]·b[i] over int8 spans with the given path (tests and block kernels).</summary>
    internal static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, QuantSimd simd)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Int8Gemm.Dot: lengths {a.Length} and {b.Length} differ.");
        simd = QuantPaths.Resolve(simd);
        int n = a.Length, vectorEnd = simd switch { QuantSimd.V256 => n / 16 * 16, QuantSimd.Scalar => 0, _ => n / 32 * 32 };
        int sum = 0;
        fixed (sbyte* pa = a, pb = b)
        {
            if (vectorEnd > 0)
            {
                if (simd == QuantSimd.Vnni)
                {
                    // The VNNI path wants the left operand offset to unsigned; do it on a copy.
                    var shifted = new sbyte[vectorEnd];
                    int rowSum = 0;
                    for (int i = 0; i < vectorEnd; i++)
                    {
                        shifted[i] = (sbyte)(pa[i] ^ unchecked((sbyte)0x80));
                        rowSum += pb[i];
                    }
                    fixed (sbyte* ps = shifted)
                        sum = DotVnni(ps, pb, vectorEnd) - 128 * rowSum;
                }
                else sum = DotSigned(pa, pb, vectorEnd, simd);
            }
            for (int i = vectorEnd; i < n; i++) sum += pa[i] * pb[i];
        }
        return sum;
    }

    private sealed class BlockJob(int m, sbyte[] q, float[] xScales, Int8Matrix w, float* bias, float* y, QuantSimd simd) : ParallelJob
    {
        public override void Run(int index)
        {
            int n = w.Rows, stride = w.Stride, cols = w.Cols;
            int j0 = index * ColumnBlock, j1 = Math.Min(n, j0 + ColumnBlock);
            fixed (sbyte* pq = q, pw = w.Data)
            {
                Span<int> dots = stackalloc int[ColumnBlock];
                for (int i = 0; i < m; i++)
                {
                    sbyte* a = pq + (long)i * stride;
                    int j = j0;
                    for (; j + 4 <= j1; j += 4)
                        Dot4(a, pw + (long)j * stride, stride, cols, simd, dots.Slice(j - j0, 4));
                    for (; j < j1; j++)
                        dots[j - j0] = Dot1(a, pw + (long)j * stride, stride, cols, simd);
                    float xs = xScales[i];
                    float* yi = y + (long)i * n;
                    for (j = j0; j < j1; j++)
                    {
                        int dot = simd == QuantSimd.Vnni ? dots[j - j0] - 128 * w.RowSums[j] : dots[j - j0];
                        float value = dot * (xs * w.Scales[j]);
                        yi[j] = bias == null ? value : value + bias[j];
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Dot1(sbyte* a, sbyte* w, int stride, int cols, QuantSimd simd)
    {
        if (simd == QuantSimd.Scalar)
        {
            int s = 0;
            for (int p = 0; p < cols; p++) s += a[p] * w[p];
            return s;
        }
        return simd == QuantSimd.Vnni ? DotVnni(a, w, stride) : DotSigned(a, w, stride, simd);
    }

    private static void Dot4(sbyte* a, sbyte* w, int stride, int cols, QuantSimd simd, Span<int> result)
    {
        switch (simd)
        {
            case QuantSimd.V256: Dot4V256(a, w, stride, result); break;
            case QuantSimd.V512: Dot4V512(a, w, stride, result); break;
            case QuantSimd.Vnni: Dot4Vnni(a, w, stride, result); break;
            default:
                for (int r = 0; r < 4; r++) result[r] = Dot1(a, w + (long)r * stride, stride, cols, QuantSimd.Scalar);
                break;
        }
    }

    // a and b hold signed values; n is a multiple of the path's step.
    private static int DotSigned(sbyte* a, sbyte* b, int n, QuantSimd simd)
    {
        if (simd == QuantSimd.V512)
        {
            var acc512 = Vector512<int>.Zero;
            for (int p = 0; p < n; p += 32)
                acc512 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(a + p)),
                    Avx512BW.ConvertToVector512Int16(Vector256.Load(b + p)));
            return Vector512.Sum(acc512);
        }
        var acc = Vector256<int>.Zero;
        for (int p = 0; p < n; p += 16)
            acc += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(a + p)), Avx2.ConvertToVector256Int16(Vector128.Load(b + p)));
        return Vector256.Sum(acc);
    }

    // a holds (byte)(value + 128); the caller subtracts 128·Σb.
    private static int DotVnni(sbyte* a, sbyte* b, int n)
    {
        var acc = Vector256<int>.Zero;
        for (int p = 0; p < n; p += 32)
            acc = AvxVnni.MultiplyWideningAndAdd(acc, Vector256.Load((byte*)a + p), Vector256.Load(b + p));
        return Vector256.Sum(acc);
    }

    private static void Dot4V256(sbyte* a, sbyte* w, int stride, Span<int> result)
    {
        Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
        sbyte* w1 = w + stride, w2 = w1 + stride, w3 = w2 + stride;
        for (int p = 0; p < stride; p += 16)
        {
            var av = Avx2.ConvertToVector256Int16(Vector128.Load(a + p));
            s0 += Avx2.MultiplyAddAdjacent(av, Avx2.ConvertToVector256Int16(Vector128.Load(w + p)));
            s1 += Avx2.MultiplyAddAdjacent(av, Avx2.ConvertToVector256Int16(Vector128.Load(w1 + p)));
            s2 += Avx2.MultiplyAddAdjacent(av, Avx2.ConvertToVector256Int16(Vector128.Load(w2 + p)));
            s3 += Avx2.MultiplyAddAdjacent(av, Avx2.ConvertToVector256Int16(Vector128.Load(w3 + p)));
        }
        result[0] = Vector256.Sum(s0);
        result[1] = Vector256.Sum(s1);
        result[2] = Vector256.Sum(s2);
        result[3] = Vector256.Sum(s3);
    }

    private static void Dot4V512(sbyte* a, sbyte* w, int stride, Span<int> result)
    {
        Vector512<int> s0 = default, s1 = default, s2 = default, s3 = default;
        sbyte* w1 = w + stride, w2 = w1 + stride, w3 = w2 + stride;
        for (int p = 0; p < stride; p += 32)
        {
            var av = Avx512BW.ConvertToVector512Int16(Vector256.Load(a + p));
            s0 += Avx512BW.MultiplyAddAdjacent(av, Avx512BW.ConvertToVector512Int16(Vector256.Load(w + p)));
            s1 += Avx512BW.MultiplyAddAdjacent(av, Avx512BW.ConvertToVector512Int16(Vector256.Load(w1 + p)));
            s2 += Avx512BW.MultiplyAddAdjacent(av, Avx512BW.ConvertToVector512Int16(Vector256.Load(w2 + p)));
            s3 += Avx512BW.MultiplyAddAdjacent(av, Avx512BW.ConvertToVector512Int16(Vector256.Load(w3 + p)));
        }
        result[0] = Vector512.Sum(s0);
        result[1] = Vector512.Sum(s1);
        result[2] = Vector512.Sum(s2);
        result[3] = Vector512.Sum(s3);
    }

    private static void Dot4Vnni(sbyte* a, sbyte* w, int stride, Span<int> result)
    {
        Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
        sbyte* w1 = w + stride, w2 = w1 + stride, w3 = w2 + stride;
        for (int p = 0; p < stride; p += 32)
        {
            var av = Vector256.Load((byte*)a + p);
            s0 = AvxVnni.MultiplyWideningAndAdd(s0, av, Vector256.Load(w + p));
            s1 = AvxVnni.MultiplyWideningAndAdd(s1, av, Vector256.Load(w1 + p));
            s2 = AvxVnni.MultiplyWideningAndAdd(s2, av, Vector256.Load(w2 + p));
            s3 = AvxVnni.MultiplyWideningAndAdd(s3, av, Vector256.Load(w3 + p));
        }
        result[0] = Vector256.Sum(s0);
        result[1] = Vector256.Sum(s1);
        result[2] = Vector256.Sum(s2);
        result[3] = Vector256.Sum(s3);
    }
}
