using System.Numerics.Tensors;

namespace TinyLM.Kernels;

/// <summary>Softmax and log-softmax over the rows of a contiguous (rows, n) block, forward and backward.</summary>
public static class SoftmaxKernels
{
    /// <summary>y[r] = softmax(x[r]); y may alias x.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int rows, int n)
    {
        Check("Softmax", x.Length, y.Length, rows, n);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            float max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            float sum = TensorPrimitives.Sum(yr);
            TensorPrimitives.Multiply(yr, 1f / sum, yr);
        }
    }

    /// <summary>y[r] = log_softmax(x[r]); y may alias x.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y, int rows, int n)
    {
        Check("LogSoftmax", x.Length, y.Length, rows, n);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            float lse = LogSumExp(xr);
            TensorPrimitives.Subtract(xr, lse, yr);
        }
    }

    /// <summary>log Σ exp(x), stable (max subtracted), accumulated in double.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        if (x.Length == 0) return float.NegativeInfinity;
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max) || float.IsNaN(max)) return max;
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += Math.Exp(x[i] - max);
        return max + (float)Math.Log(sum);
    }

    /// <summary>dx[r] = y[r] ⊙ (g[r] − ⟨g[r], y[r]⟩), the softmax backward given its output y; accumulates when accumulate is true.</summary>
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dx, int rows, int n, bool accumulate)
    {
        Check("SoftmaxBackward", y.Length, dx.Length, rows, n);
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * n, n);
            var gr = g.Slice(r * n, n);
            var dr = dx.Slice(r * n, n);
            float dot = TensorPrimitives.Dot(yr, gr);
            for (int i = 0; i < n; i++)
            {
                float v = yr[i] * (gr[i] - dot);
                dr[i] = accumulate ? dr[i] + v : v;
            }
        }
    }

    /// <summary>dx[r] = g[r] − exp(y[r]) · Σ g[r], the log-softmax backward given its output y.</summary>
    public static void LogSoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dx, int rows, int n, bool accumulate)
    {
        Check("LogSoftmaxBackward", y.Length, dx.Length, rows, n);
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * n, n);
            var gr = g.Slice(r * n, n);
            var dr = dx.Slice(r * n, n);
            float sum = TensorPrimitives.Sum(gr);
            for (int i = 0; i < n; i++)
            {
                float v = gr[i] - MathF.Exp(yr[i]) * sum;
                dr[i] = accumulate ? dr[i] + v : v;
            }
        }
    }

    private static void Check(string op, int xLength, int yLength, int rows, int n)
    {
        if (rows < 0 || n < 0 || xLength < (long)rows * n || yLength < (long)rows * n)
            throw new ArgumentException($"{op}: spans too short for (rows={rows}, n={n}): {xLength}, {yLength}.");
    }
}
