namespace TinyLM.Tests.Kernels;

/// <summary>Naive float64 GEMM and the helpers the GEMM tests share.</summary>
internal static class GemmReference
{
    /// <summary>Returns the float64 result and, per element, the magnitude that bounds its rounding error.</summary>
    public static (double[] Value, double[] Magnitude) Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc, int offA = 0, int offB = 0, int offC = 0)
    {
        var value = new double[Math.Max(0, m * n)];
        var magnitude = new double[value.Length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = transA ? a[offA + p * lda + i] : a[offA + i * lda + p];
                    double y = transB ? b[offB + j * ldb + p] : b[offB + p * ldb + j];
                    sum += x * y;
                    abs += Math.Abs(x * y);
                }
                double c0 = beta == 0 ? 0 : (double)beta * c[offC + i * ldc + j];
                value[i * n + j] = (double)alpha * sum + c0;
                magnitude[i * n + j] = Math.Abs((double)alpha) * abs + Math.Abs(c0);
            }
        return (value, magnitude);
    }

    public static float[] Random(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>Asserts C matches the reference within the named tolerance, and that padding was not touched.</summary>
    public static void AssertClose(string what, int m, int n, int k, float[] c, int ldc, float[] cBefore,
        (double[] Value, double[] Magnitude) expected, int offC = 0)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double want = expected.Value[i * n + j];
                double got = c[offC + i * ldc + j];
                double bound = GemmTolerances.Bound(k, expected.Magnitude[i * n + j]);
                if (!(Math.Abs(got - want) <= bound))
                    Assert.Fail($"{what}: C[{i},{j}] = {got}, expected {want} ± {bound}");
            }
        for (int idx = 0; idx < c.Length; idx++)
        {
            int rel = idx - offC;
            bool inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside && BitConverter.SingleToInt32Bits(c[idx]) != BitConverter.SingleToInt32Bits(cBefore[idx]))
                Assert.Fail($"{what}: wrote outside C at flat index {idx}");
        }
    }
}
