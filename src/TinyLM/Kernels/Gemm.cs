using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Single-precision general matrix multiply, row-major:
/// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, where op(X) is X or Xᵀ.
/// A is stored m×k (lda ≥ k) when not transposed, k×m (lda ≥ m) when transposed; likewise B.
/// Results are identical whatever the thread count: work is split over output tiles, never over k.
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>Span entry point; pins and forwards to the pointer form.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckArguments(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Multiply(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, GemmOptions.Default);
    }

    /// <summary>Batched form: batch independent products, each operand advanced by its stride.</summary>
    public static void MultiplyBatched(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC)
    {
        CheckBatch(batch, strideA, strideB, strideC);
        if (batch == 0) return;
        CheckArguments(transA, transB, m, n, k, a.Length - strideA * (batch - 1), lda,
            b.Length - strideB * (batch - 1), ldb, c.Length - strideC * (batch - 1), ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            MultiplyBatched(transA, transB, batch, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC,
                GemmOptions.Default);
    }

    /// <summary>Batched pointer form. Callers guarantee the buffers are large enough.</summary>
    public static void MultiplyBatched(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC)
    {
        CheckBatch(batch, strideA, strideB, strideC);
        MultiplyBatched(transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
            GemmOptions.Default);
    }

    /// <summary>Pointer entry point. Callers guarantee the buffers are large enough.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmOptions.Default);

    /// <summary>Pointer form with explicit path choices (tests force each kernel and thread count).</summary>
    internal static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, GemmOptions options)
    {
        if (m <= 0 || n <= 0) return;
        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        int threads = Math.Max(1, options.Threads);
        switch (options.ResolvedLevel)
        {
            case SimdLevel.V512:
                GemmDriver<GemmKernel8x32>.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, options.Algorithm, threads);
                break;
            case SimdLevel.V256:
                GemmDriver<GemmKernel6Rows<Ops256, Vector256<float>>>.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, options.Algorithm, threads);
                break;
            case SimdLevel.V128:
                GemmDriver<GemmKernel6Rows<Ops128, Vector128<float>>>.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, options.Algorithm, threads);
                break;
            default:
                GemmDriver<GemmKernelScalar4x4>.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, options.Algorithm, threads);
                break;
        }
    }

    /// <summary>Batched pointer form with explicit path choices.</summary>
    internal static void MultiplyBatched(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC,
        GemmOptions options)
    {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        if (k == 0 || alpha == 0)
        {
            for (int i = 0; i < batch; i++)
                ScaleC(m, n, beta, c + strideC * i, ldc);
            return;
        }
        int threads = Math.Max(1, options.Threads);
        switch (options.ResolvedLevel)
        {
            case SimdLevel.V512:
                GemmDriver<GemmKernel8x32>.MultiplyBatched(transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                    beta, c, ldc, strideC, options.Algorithm, threads);
                break;
            case SimdLevel.V256:
                GemmDriver<GemmKernel6Rows<Ops256, Vector256<float>>>.MultiplyBatched(transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                    beta, c, ldc, strideC, options.Algorithm, threads);
                break;
            case SimdLevel.V128:
                GemmDriver<GemmKernel6Rows<Ops128, Vector128<float>>>.MultiplyBatched(transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                    beta, c, ldc, strideC, options.Algorithm, threads);
                break;
            default:
                GemmDriver<GemmKernelScalar4x4>.MultiplyBatched(transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                    beta, c, ldc, strideC, options.Algorithm, threads);
                break;
        }
    }

    /// <summary>
    /// The path a product of this shape takes on this machine with the current settings, e.g. "v256 6x16 direct"
    /// (SIMD level, micro-kernel tile, and whether A and B are packed first). For benchmarks and diagnostics.
    /// </summary>
    public static string DescribePath(bool transA, bool transB, int m, int n, int k)
    {
        var options = GemmOptions.Default;
        return options.ResolvedLevel switch
        {
            SimdLevel.V512 => GemmDriver<GemmKernel8x32>.Describe(transA, transB, m, n, k, options.Algorithm, "v512"),
            SimdLevel.V256 => GemmDriver<GemmKernel6Rows<Ops256, Vector256<float>>>.Describe(transA, transB, m, n, k, options.Algorithm, "v256"),
            SimdLevel.V128 => GemmDriver<GemmKernel6Rows<Ops128, Vector128<float>>>.Describe(transA, transB, m, n, k, options.Algorithm, "v128"),
            _ => GemmDriver<GemmKernelScalar4x4>.Describe(transA, transB, m, n, k, options.Algorithm, "scalar"),
        };
    }

    /// <summary>C = beta·C, where beta == 0 clears C even if it held NaN (BLAS semantics).</summary>
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (nint)i * ldc, n);
            if (beta == 0) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void CheckBatch(int batch, long strideA, long strideB, long strideC)
    {
        if (batch < 0)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "Gemm.MultiplyBatched: batch must be non-negative.");
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentException($"Gemm.MultiplyBatched: strides must be non-negative (strideA={strideA}, strideB={strideB}, strideC={strideC}).");
    }

    internal static void CheckArguments(bool transA, bool transB, int m, int n, int k,
        long aLength, int lda, long bLength, int ldb, long cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: negative size m={m} n={n} k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < Math.Max(1, aCols) || ldb < Math.Max(1, bCols) || ldc < Math.Max(1, n))
            throw new ArgumentException($"Gemm: leading dimension too small (lda={lda} for {aCols} columns, ldb={ldb} for {bCols}, ldc={ldc} for {n}).");
        if (m > 0 && k > 0 && aLength < (long)(aRows - 1) * lda + aCols)
            throw new ArgumentException($"Gemm: A holds {aLength} floats, needs {(long)(aRows - 1) * lda + aCols} for {aRows}×{aCols} with lda={lda}.");
        if (n > 0 && k > 0 && bLength < (long)(bRows - 1) * ldb + bCols)
            throw new ArgumentException($"Gemm: B holds {bLength} floats, needs {(long)(bRows - 1) * ldb + bCols} for {bRows}×{bCols} with ldb={ldb}.");
        if (m > 0 && n > 0 && cLength < (long)(m - 1) * ldc + n)
            throw new ArgumentException($"Gemm: C holds {cLength} floats, needs {(long)(m - 1) * ldc + n} for {m}×{n} with ldc={ldc}.");
    }
}
