using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>Layer norm and RMS norm over the rows of a contiguous (rows, n) block, forward and backward.</summary>
public static class NormKernels
{
    /// <summary>
    /// y = (x − mean)·rstd·w + b per row; w and b may be empty (treated as 1 and 0). Saves mean and rstd per row
    /// for the backward. Rows are independent and split over threads in fixed chunks; within a row the sums run in
    /// vector lanes in a fixed order, so results do not depend on the thread count.
    /// </summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y,
        Span<float> mean, Span<float> rstd, int rows, int n, float eps) =>
        LayerNorm(x, w, b, y, mean, rstd, rows, n, eps, Simd.Level, Threading.MaxThreads);

    internal static unsafe void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y,
        Span<float> mean, Span<float> rstd, int rows, int n, float eps, SimdLevel simd, int threads)
    {
        CheckLayerNorm("NormKernels.LayerNorm", x.Length, y.Length, w.Length, b.Length, mean.Length, rstd.Length, rows, n);
        fixed (float* px = x, pw = w, pb = b, py = y, pm = mean, pr = rstd)
        {
            var job = _lnForward ??= new LayerNormForwardJob();
            job.Set(px, pw, pb, py, pm, pr, null, null, null, rows, n, eps, simd);
            Threading.For(Chunks(rows), job, rows * n < ParallelThreshold ? 1 : threads);
        }
    }

    /// <summary>
    /// Layer norm backward. Accumulates into dx (if not empty), dw and db (if not empty) — callers zero them first
    /// when they want plain gradients. dw and db are summed per fixed chunk of rows and the chunks added in order,
    /// so the bits do not depend on the thread count.
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> rstd, ReadOnlySpan<float> g, Span<float> dx, Span<float> dw, Span<float> db, int rows, int n) =>
        LayerNormBackward(x, w, mean, rstd, g, dx, dw, db, rows, n, Simd.Level, Threading.MaxThreads);

    internal static unsafe void LayerNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> rstd, ReadOnlySpan<float> g, Span<float> dx, Span<float> dw, Span<float> db, int rows, int n, SimdLevel simd, int threads)
    {
        CheckLayerNorm("NormKernels.LayerNormBackward", x.Length, g.Length, w.Length, 0, mean.Length, rstd.Length, rows, n);
        if ((!dx.IsEmpty && dx.Length < (long)rows * n) || (!dw.IsEmpty && dw.Length < n) || (!db.IsEmpty && db.Length < n))
            throw new ArgumentException($"NormKernels.LayerNormBackward: dx {dx.Length}, dw {dw.Length}, db {db.Length} floats for (rows={rows}, n={n}).");
        int chunks = Chunks(rows);
        bool partials = !dw.IsEmpty || !db.IsEmpty;
        var scratch = partials ? new float[2 * chunks * n] : null;
        fixed (float* px = x, pw = w, pm = mean, pr = rstd, pg = g, pdx = dx, ps = scratch)
        {
            var job = _lnBackward ??= new LayerNormBackwardJob();
            job.Set(px, pw, null, null, pm, pr, pg, dx.IsEmpty ? null : pdx, partials ? ps : null, rows, n, 0f, simd);
            Threading.For(chunks, job, rows * n < ParallelThreshold ? 1 : threads);
        }
        if (scratch is null) return;
        for (int c = 0; c < chunks; c++)
        {
            if (!dw.IsEmpty) TensorPrimitives.Add(dw[..n], scratch.AsSpan(2 * c * n, n), dw[..n]);
            if (!db.IsEmpty) TensorPrimitives.Add(db[..n], scratch.AsSpan((2 * c + 1) * n, n), db[..n]);
        }
    }

    // Rows per parallel chunk: fixed, so the dw/db partial sums (and their order) never depend on the thread count.
    private const int ChunkRows = 32;
    private const int ParallelThreshold = 1 << 15;

    [ThreadStatic] private static LayerNormForwardJob? _lnForward;
    [ThreadStatic] private static LayerNormBackwardJob? _lnBackward;

    private static int Chunks(int rows) => (rows + ChunkRows - 1) / ChunkRows;

    private static void CheckLayerNorm(string op, int x, int y, int w, int b, int mean, int rstd, int rows, int n)
    {
        long size = (long)rows * n;
        if (rows < 0 || n < 1 || x < size || y < size || (w != 0 && w < n) || (b != 0 && b < n) || mean < rows || rstd < rows)
            throw new ArgumentException($"{op}: spans x {x}, y/g {y}, w {w}, b {b}, mean {mean}, rstd {rstd} floats for (rows={rows}, n={n}).");
    }

    private abstract unsafe class LayerNormJob : ParallelJob
    {
        protected float* X, W, B, Y, Mean, Rstd, G, Dx, Partials;
        protected int Rows, N;
        protected float Eps;
        protected SimdLevel Simd;

        public void Set(float* x, float* w, float* b, float* y, float* mean, float* rstd, float* g, float* dx, float* partials,
            int rows, int n, float eps, SimdLevel simd)
        {
            X = x; W = w; B = b; Y = y; Mean = mean; Rstd = rstd; G = g; Dx = dx; Partials = partials;
            Rows = rows; N = n; Eps = eps; Simd = simd;
        }
    }

    private sealed unsafe class LayerNormForwardJob : LayerNormJob
    {
        public override void Run(int index)
        {
            int r1 = Math.Min(Rows, (index + 1) * ChunkRows);
            for (int r = index * ChunkRows; r < r1; r++)
            {
                float* xr = X + (long)r * N, yr = Y + (long)r * N;
                float mu = Sum(xr, null, 0f, N, Simd) / N;
                float var = Sum(xr, xr, mu, N, Simd) / N;
                float rs = 1f / MathF.Sqrt(var + Eps);
                Mean[r] = mu;
                Rstd[r] = rs;
                // Elementwise, so a V512 row may finish its last whole Vector256 in that width.
                int i = 0;
                if (Simd == SimdLevel.V512) i = Normalize<Ops512, Vector512<float>>(xr, yr, W, B, mu, rs, i, N);
                if (Simd >= SimdLevel.V256) i = Normalize<Ops256, Vector256<float>>(xr, yr, W, B, mu, rs, i, N);
                else if (Simd == SimdLevel.V128) i = Normalize<Ops128, Vector128<float>>(xr, yr, W, B, mu, rs, i, N);
                for (; i < N; i++)
                {
                    float v = (xr[i] - mu) * rs;
                    if (W != null) v *= W[i];
                    if (B != null) v += B[i];
                    yr[i] = v;
                }
            }
        }

        // y = (x − μ)·rstd (·w) (+b) over whole vectors from i; returns where it stopped.
        private static int Normalize<TOps, TV>(float* xr, float* yr, float* w, float* b, float mu, float rs, int i, int n)
            where TOps : IVectorOps<TV> where TV : struct
        {
            int c = TOps.Count;
            var vmu = TOps.Broadcast(mu);
            var vrs = TOps.Broadcast(rs);
            for (; i + c <= n; i += c)
            {
                var v = TOps.Multiply(TOps.Subtract(TOps.Load(xr + i), vmu), vrs);
                if (w != null) v = TOps.Multiply(v, TOps.Load(w + i));
                if (b != null) v = TOps.Add(v, TOps.Load(b + i));
                TOps.Store(v, yr + i);
            }
            return i;
        }
    }

    private sealed unsafe class LayerNormBackwardJob : LayerNormJob
    {
        public override void Run(int index)
        {
            int r0 = index * ChunkRows, r1 = Math.Min(Rows, r0 + ChunkRows);
            float* dw = Partials == null ? null : Partials + 2L * index * N;
            float* db = dw == null ? null : dw + N;
            if (dw != null) new Span<float>(dw, 2 * N).Clear();
            for (int r = r0; r < r1; r++)
            {
                float* xr = X + (long)r * N, gr = G + (long)r * N;
                float mu = Mean[r], rs = Rstd[r];
                // Σ g·w and Σ g·w·x̂, with x̂ = (x − μ)·rstd; a row narrower than one Vector512 takes the Vector256 loop.
                float sumG = 0, sumGX = 0;
                int i = Simd switch
                {
                    SimdLevel.V512 when N >= 16 => Sums<Ops512, Vector512<float>>(xr, gr, W, dw, db, mu, rs, N, out sumG, out sumGX),
                    >= SimdLevel.V256 when N >= 8 => Sums<Ops256, Vector256<float>>(xr, gr, W, dw, db, mu, rs, N, out sumG, out sumGX),
                    SimdLevel.V128 when N >= 4 => Sums<Ops128, Vector128<float>>(xr, gr, W, dw, db, mu, rs, N, out sumG, out sumGX),
                    _ => 0,
                };
                for (; i < N; i++)
                {
                    float g = gr[i], xh = (xr[i] - mu) * rs;
                    if (dw != null)
                    {
                        dw[i] = MathF.FusedMultiplyAdd(g, xh, dw[i]);
                        db[i] += g;
                    }
                    float gh = W == null ? g : g * W[i];
                    sumG += gh;
                    sumGX = MathF.FusedMultiplyAdd(gh, xh, sumGX);
                }
                if (Dx == null) continue;
                float* dr = Dx + (long)r * N;
                float mG = sumG / N, mGX = sumGX / N;
                i = 0;
                if (Simd == SimdLevel.V512) i = AddDx<Ops512, Vector512<float>>(xr, gr, W, dr, mu, rs, mG, mGX, i, N);
                if (Simd >= SimdLevel.V256) i = AddDx<Ops256, Vector256<float>>(xr, gr, W, dr, mu, rs, mG, mGX, i, N);
                else if (Simd == SimdLevel.V128) i = AddDx<Ops128, Vector128<float>>(xr, gr, W, dr, mu, rs, mG, mGX, i, N);
                for (; i < N; i++)
                {
                    float xh = (xr[i] - mu) * rs;
                    float gh = W == null ? gr[i] : gr[i] * W[i];
                    dr[i] += (gh - mG - xh * mGX) * rs;
                }
            }
        }

        // The two row sums in vector lanes (and the dw/db partials) over whole vectors; returns where it stopped.
        private static int Sums<TOps, TV>(float* xr, float* gr, float* w, float* dw, float* db, float mu, float rs, int n,
            out float sumG, out float sumGX) where TOps : IVectorOps<TV> where TV : struct
        {
            int c = TOps.Count, i = 0;
            var vmu = TOps.Broadcast(mu);
            var vrs = TOps.Broadcast(rs);
            TV aG = default, aGX = default;
            for (; i + c <= n; i += c)
            {
                var g = TOps.Load(gr + i);
                var xh = TOps.Multiply(TOps.Subtract(TOps.Load(xr + i), vmu), vrs);
                if (dw != null)
                {
                    TOps.Store(TOps.MultiplyAdd(g, xh, TOps.Load(dw + i)), dw + i);
                    TOps.Store(TOps.Add(TOps.Load(db + i), g), db + i);
                }
                var gh = w == null ? g : TOps.Multiply(g, TOps.Load(w + i));
                aG = TOps.Add(aG, gh);
                aGX = TOps.MultiplyAdd(gh, xh, aGX);
            }
            sumG = TOps.Sum(aG);
            sumGX = TOps.Sum(aGX);
            return i;
        }

        // dx += (g·w − mean(g·w) − x̂·mean(g·w·x̂))·rstd over whole vectors from i; returns where it stopped.
        private static int AddDx<TOps, TV>(float* xr, float* gr, float* w, float* dr, float mu, float rs, float mG, float mGX, int i, int n)
            where TOps : IVectorOps<TV> where TV : struct
        {
            int c = TOps.Count;
            var vmu = TOps.Broadcast(mu);
            var vrs = TOps.Broadcast(rs);
            var vmG = TOps.Broadcast(mG);
            var vmGX = TOps.Broadcast(mGX);
            for (; i + c <= n; i += c)
            {
                var xh = TOps.Multiply(TOps.Subtract(TOps.Load(xr + i), vmu), vrs);
                var gh = w == null ? TOps.Load(gr + i) : TOps.Multiply(TOps.Load(gr + i), TOps.Load(w + i));
                var v = TOps.Multiply(TOps.Subtract(TOps.Subtract(gh, vmG), TOps.Multiply(xh, vmGX)), vrs);
                TOps.Store(TOps.Add(TOps.Load(dr + i), v), dr + i);
            }
            return i;
        }
    }

    // Σ (a − shift)·(b − shift) over n floats, or Σ a when b is null; vector lanes first, then the tail.
    private static unsafe float Sum(float* a, float* b, float shift, int n, SimdLevel simd)
    {
        float s = 0;
        int i = simd switch
        {
            SimdLevel.V512 when n >= 16 => Sum<Ops512, Vector512<float>>(a, b, shift, n, out s),
            >= SimdLevel.V256 when n >= 8 => Sum<Ops256, Vector256<float>>(a, b, shift, n, out s),
            SimdLevel.V128 when n >= 4 => Sum<Ops128, Vector128<float>>(a, b, shift, n, out s),
            _ => 0,
        };
        for (; i < n; i++)
        {
            float d = a[i] - shift;
            s = b == null ? s + d : MathF.FusedMultiplyAdd(d, d, s);
        }
        return s;
    }

    private static unsafe int Sum<TOps, TV>(float* a, float* b, float shift, int n, out float s) where TOps : IVectorOps<TV> where TV : struct
    {
        int c = TOps.Count, i = 0;
        var acc = default(TV);
        var sh = TOps.Broadcast(shift);
        for (; i + c <= n; i += c)
        {
            var d = TOps.Subtract(TOps.Load(a + i), sh);
            acc = b == null ? TOps.Add(acc, d) : TOps.MultiplyAdd(d, d, acc);
        }
        s = TOps.Sum(acc);
        return i;
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
