using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Exact GELU, x·Φ(x) with the normal CDF Φ(x) = ½(1 + erf(x/√2)) (PyTorch's default <c>nn.GELU()</c>, which
/// nanoGPT uses), forward and backward. erf comes from Abramowitz &amp; Stegun 7.1.26 (absolute error ≤ 1.5e-7,
/// about float32 rounding), whose exp(−x²/2) factor is also the normal density needed by the backward:
/// GELU'(x) = Φ(x) + x·φ(x). Vector512/Vector256 with a scalar fallback (TINYLM_SIMD forces a path); elementwise,
/// so the bits never depend on threads.
/// </summary>
public static class GeluKernels
{
    private const float P = 0.3275911f * 0.70710678118654752f; // A&S p, folded with 1/√2
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InvSqrt2Pi = 0.3989422804014327f;

    // Elements per parallel chunk; elementwise work, so the split never changes a bit.
    private const int Chunk = 16_384;

    [ThreadStatic] private static ChunkJob? _job;

    /// <summary>y = GELU(x); y may alias x. Large spans are split over threads.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length != x.Length) throw new ArgumentException($"GeluKernels.Forward: x has {x.Length} floats, y {y.Length}.");
        fixed (float* px = x, py = y)
            Run(px, null, py, x.Length, backward: false, accumulate: false);
    }

    /// <summary>dx (= or +=) g·GELU'(x). Large spans are split over threads.</summary>
    public static unsafe void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> dx, bool accumulate)
    {
        if (g.Length != x.Length || dx.Length != x.Length)
            throw new ArgumentException($"GeluKernels.Backward: x {x.Length}, g {g.Length}, dx {dx.Length} floats differ.");
        fixed (float* px = x, pg = g, pd = dx)
            Run(px, pg, pd, x.Length, backward: true, accumulate);
    }

    private static unsafe void Run(float* x, float* g, float* d, int n, bool backward, bool accumulate)
    {
        var simd = Simd.Level;
        int chunks = (n + Chunk - 1) / Chunk;
        if (chunks <= 1)
        {
            Slice(x, g, d, n, backward, accumulate, simd);
            return;
        }
        var job = _job ??= new ChunkJob();
        (job.X, job.G, job.D, job.N, job.Backward, job.Accumulate, job.Simd) = ((nint)x, (nint)g, (nint)d, n, backward, accumulate, simd);
        Threading.For(chunks, job);
    }

    private static unsafe void Slice(float* x, float* g, float* d, int n, bool backward, bool accumulate, SimdLevel simd)
    {
        if (backward) Backward(new ReadOnlySpan<float>(x, n), new ReadOnlySpan<float>(g, n), new Span<float>(d, n), accumulate, simd);
        else Forward(new ReadOnlySpan<float>(x, n), new Span<float>(d, n), simd);
    }

    private sealed unsafe class ChunkJob : ParallelJob
    {
        public nint X, G, D;
        public int N;
        public bool Backward, Accumulate;
        public SimdLevel Simd;

        public override void Run(int index)
        {
            int start = index * Chunk, len = Math.Min(Chunk, N - start);
            Slice((float*)X + start, G == 0 ? null : (float*)G + start, (float*)D + start, len, Backward, Accumulate, Simd);
        }
    }

    internal static unsafe void Forward(ReadOnlySpan<float> x, Span<float> y, SimdLevel simd)
    {
        if (y.Length != x.Length) throw new ArgumentException($"GeluKernels.Forward: x has {x.Length} floats, y {y.Length}.");
        int n = x.Length, i = 0;
        fixed (float* px = x, py = y)
        {
            if (simd == SimdLevel.V512)
                for (; i + 16 <= n; i += 16)
                {
                    var v = Vector512.Load(px + i);
                    (v * Cdf(v, out _)).Store(py + i);
                }
            if (simd >= SimdLevel.V256)
                for (; i + 8 <= n; i += 8)
                {
                    var v = Vector256.Load(px + i);
                    (v * Cdf(v, out _)).Store(py + i);
                }
            for (; i < n; i++) py[i] = px[i] * Cdf(px[i], out _);
        }
    }

    internal static unsafe void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> dx, bool accumulate, SimdLevel simd)
    {
        if (g.Length != x.Length || dx.Length != x.Length)
            throw new ArgumentException($"GeluKernels.Backward: x {x.Length}, g {g.Length}, dx {dx.Length} floats differ.");
        int n = x.Length, i = 0;
        fixed (float* px = x, pg = g, pd = dx)
        {
            if (simd == SimdLevel.V512)
                for (; i + 16 <= n; i += 16)
                {
                    var v = Vector512.Load(px + i);
                    var phi = Cdf(v, out var e);
                    var d = Vector512.Load(pg + i) * Vector512.FusedMultiplyAdd(v * Vector512.Create(InvSqrt2Pi), e, phi);
                    (accumulate ? Vector512.Load(pd + i) + d : d).Store(pd + i);
                }
            if (simd >= SimdLevel.V256)
                for (; i + 8 <= n; i += 8)
                {
                    var v = Vector256.Load(px + i);
                    var phi = Cdf(v, out var e);
                    var d = Vector256.Load(pg + i) * Vector256.FusedMultiplyAdd(v * Vector256.Create(InvSqrt2Pi), e, phi);
                    (accumulate ? Vector256.Load(pd + i) + d : d).Store(pd + i);
                }
            for (; i < n; i++)
            {
                float v = px[i], phi = Cdf(v, out float e);
                float d = pg[i] * MathF.FusedMultiplyAdd(v * InvSqrt2Pi, e, phi);
                pd[i] = accumulate ? pd[i] + d : d;
            }
        }
    }

    // Φ(x) and e = exp(−x²/2). With t = 1/(1 + p·|x|/√2) and q = ½·poly(t)·e: Φ = 1 − q for x ≥ 0, q below.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Cdf(Vector512<float> x, out Vector512<float> e)
    {
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Abs(x), Vector512.Create(P), Vector512<float>.One);
        var poly = Vector512.FusedMultiplyAdd(t, Vector512.Create(A5), Vector512.Create(A4));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A3));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A2));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A1));
        e = Vector512.Exp(x * x * Vector512.Create(-0.5f));
        var q = poly * t * e * Vector512.Create(0.5f);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.One - q, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Cdf(Vector256<float> x, out Vector256<float> e)
    {
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Abs(x), Vector256.Create(P), Vector256<float>.One);
        var poly = Vector256.FusedMultiplyAdd(t, Vector256.Create(A5), Vector256.Create(A4));
        poly = Vector256.FusedMultiplyAdd(t, poly, Vector256.Create(A3));
        poly = Vector256.FusedMultiplyAdd(t, poly, Vector256.Create(A2));
        poly = Vector256.FusedMultiplyAdd(t, poly, Vector256.Create(A1));
        e = Vector256.Exp(x * x * Vector256.Create(-0.5f));
        var q = poly * t * e * Vector256.Create(0.5f);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.One - q, q);
    }

    private static float Cdf(float x, out float e)
    {
        float t = 1f / MathF.FusedMultiplyAdd(MathF.Abs(x), P, 1f);
        float poly = MathF.FusedMultiplyAdd(t, A5, A4);
        poly = MathF.FusedMultiplyAdd(t, poly, A3);
        poly = MathF.FusedMultiplyAdd(t, poly, A2);
        poly = MathF.FusedMultiplyAdd(t, poly, A1);
        e = MathF.Exp(x * x * -0.5f);
        float q = poly * t * e * 0.5f;
        return x >= 0f ? 1f - q : q;
    }
}
