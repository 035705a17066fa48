using System.Numerics.Tensors;

namespace TinyLM.Kernels;

/// <summary>
/// Reductions over one axis of a contiguous tensor viewed as (outer, n, inner). Each output element is
/// summed in a fixed order, so results do not depend on the thread count.
/// </summary>
public static class ReductionKernels
{
    /// <summary>d[o, i] = Σ_r x[o, r, i].</summary>
    public static void Sum(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> d)
    {
        CheckSizes("Sum", x.Length, outer, n, inner, d.Length);
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) d[o] = TensorPrimitives.Sum(x.Slice(o * n, n));
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var dst = d.Slice(o * inner, inner);
            if (n == 0) { dst.Clear(); continue; }
            x.Slice(o * n * inner, inner).CopyTo(dst);
            for (int r = 1; r < n; r++) TensorPrimitives.Add(dst, x.Slice((o * n + r) * inner, inner), dst);
        }
    }

    /// <summary>d[o, i] = max_r x[o, r, i]; argmax[o, i] = the first r reaching it (NaN propagates).</summary>
    public static void Max(ReadOnlySpan<float> x, int outer, int n, int inner, Span<float> d, Span<int> argmax)
    {
        CheckSizes("Max", x.Length, outer, n, inner, d.Length);
        if (n == 0) throw new ArgumentException("Max: cannot reduce an empty axis.");
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * n * inner + i;
                float best = x[baseIndex];
                int arg = 0;
                for (int r = 1; r < n; r++)
                {
                    float v = x[baseIndex + r * inner];
                    if (v > best || (float.IsNaN(v) && !float.IsNaN(best))) { best = v; arg = r; }
                }
                d[o * inner + i] = best;
                argmax[o * inner + i] = arg;
            }
    }

    /// <summary>Row-wise sum of squares of a contiguous (rows, n) block, accumulated in double.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += (double)v * v;
        return s;
    }

    private static void CheckSizes(string op, int xLength, int outer, int n, int inner, int dLength)
    {
        if (outer < 0 || n < 0 || inner < 0 || xLength < (long)outer * n * inner || dLength < (long)outer * inner)
            throw new ArgumentException($"{op}: spans too short for (outer={outer}, n={n}, inner={inner}): x={xLength}, d={dLength}.");
    }
}
