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
            Multiply(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>Batched form: batch independent products, each operand advanced by its stride.</summary>
    public static void MultiplyBatched(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        if (batch == 0) return;
        CheckArguments(transA, transB, m, n, k, a.Length - (int)(strideA * (batch - 1)), lda,
            b.Length - (int)(strideB * (batch - 1)), ldb, c.Length - (int)(strideC * (batch - 1)), ldc);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            for (int i = 0; i < batch; i++)
                Multiply(transA, transB, m, n, k, alpha, pa + strideA * i, lda, pb + strideB * i, ldb, beta, pc + strideC * i, ldc);
    }

    /// <summary>Pointer entry point. Callers guarantee the buffers are large enough.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Placeholder: naive loops until the packed kernel lands (see issue 2).
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                float* cij = c + i * ldc + j;
                *cij = alpha * sum + (beta == 0 ? 0 : beta * *cij);
            }
    }

    internal static void CheckArguments(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
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
