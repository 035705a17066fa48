using System.Numerics.Tensors;

namespace TinyLM.Kernels;

/// <summary>Layer norm and RMS norm over the rows of a contiguous (rows, n) block, forward and backward.</summary>
public static class NormKernels
{
    /// <summary>
    /// y = (x − mean)·rstd·w + b per row; w and b may be empty (treated as 1 and 0). Saves mean and rstd per row
    /// for the backward. Statistics are accumulated in double for stability.
    /// </summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y,
        Span<float> mean, Span<float> rstd, int rows, int n, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            double s = 0;
            for (int i = 0; i < n; i++) s += xr[i];
            double mu = s / n;
            double v = 0;
            for (int i = 0; i < n; i++) { double dlt = xr[i] - mu; v += dlt * dlt; }
            float rs = (float)(1.0 / Math.Sqrt(v / n + eps));
            mean[r] = (float)mu;
            rstd[r] = rs;
            TensorPrimitives.Subtract(xr, (float)mu, yr);
            TensorPrimitives.Multiply(yr, rs, yr);
            if (!w.IsEmpty) TensorPrimitives.Multiply(yr, w, yr);
            if (!b.IsEmpty) TensorPrimitives.Add(yr, b, yr);
        }
    }

    /// <summary>
    /// Layer norm backward. Accumulates into dx (if not empty), dw and db (if not empty) — callers zero them first
    /// when they want plain gradients.
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> rstd, ReadOnlySpan<float> g, Span<float> dx, Span<float> dw, Span<float> db, int rows, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var gr = g.Slice(r * n, n);
            float mu = mean[r], rs = rstd[r];
            // xhat = (x - mu) * rs; gxhat = g * w.
            double sumG = 0, sumGX = 0;
            for (int i = 0; i < n; i++)
            {
                float xh = (xr[i] - mu) * rs;
                float gh = w.IsEmpty ? gr[i] : gr[i] * w[i];
                sumG += gh;
                sumGX += gh * xh;
                if (!dw.IsEmpty) dw[i] += gr[i] * xh;
                if (!db.IsEmpty) db[i] += gr[i];
            }
            if (dx.IsEmpty) continue;
            var dr = dx.Slice(r * n, n);
            float mG = (float)(sumG / n), mGX = (float)(sumGX / n);
            for (int i = 0; i < n; i++)
            {
                float xh = (xr[i] - mu) * rs;
                float gh = w.IsEmpty ? gr[i] : gr[i] * w[i];
                dr[i] += rs * (gh - mG - xh * mGX);
            }
        }
    }

    /// <summary>y = x · rrms · w per row, rrms = 1/√(mean(x²) + eps); w may be empty. Saves rrms per row.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, Span<float> rrms, int rows, int n, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            double ss = ReductionKernels.SumOfSquares(xr);
            float rs = (float)(1.0 / Math.Sqrt(ss / n + eps));
            rrms[r] = rs;
            TensorPrimitives.Multiply(xr, rs, yr);
            if (!w.IsEmpty) TensorPrimitives.Multiply(yr, w, yr);
        }
    }

    /// <summary>RMS norm backward; accumulates into dx and dw (either may be empty).</summary>
    public static void RmsNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> rrms,
        ReadOnlySpan<float> g, Span<float> dx, Span<float> dw, int rows, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var gr = g.Slice(r * n, n);
            float rs = rrms[r];
            double dot = 0;
            for (int i = 0; i < n; i++)
            {
                float gh = w.IsEmpty ? gr[i] : gr[i] * w[i];
                dot += gh * xr[i];
                if (!dw.IsEmpty) dw[i] += gr[i] * xr[i] * rs;
            }
            if (dx.IsEmpty) continue;
            var dr = dx.Slice(r * n, n);
            float c = (float)(dot / n) * rs * rs * rs;
            for (int i = 0; i < n; i++)
            {
                float gh = w.IsEmpty ? gr[i] : gr[i] * w[i];
                dr[i] += gh * rs - xr[i] * c;
            }
        }
    }
}
