using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// Rotary position embedding over adjacent pairs, as whole head vectors: with per-position tables
/// cos2 = [c₀, c₀, c₁, c₁, …] and sin2 = [−s₀, s₀, −s₁, s₁, …], a rotated vector is y = x∘cos2 + swap(x)∘sin2, where
/// swap exchanges the two elements of every pair — one multiply-add per element, the same operations on the
/// Vector256 and scalar paths (so the same bits), and no per-pair branching. The inverse rotation is the same
/// with the sines negated. Vectors are split over threads in chunks; each element is computed alone, so the
/// split never changes a bit.
/// </summary>
public static class RopeKernels
{
    // Floats per parallel chunk: below this the rotation of a (B, T, H, D) tensor stays on the calling thread.
    private const int ChunkFloats = 8_192;

    [ThreadStatic] private static ChunkJob? _job;

    /// <summary>
    /// y (= or, with <paramref name="accumulate"/>, +=) the rotation of x: <paramref name="vectors"/> head vectors of
    /// <paramref name="headDim"/> floats laid out as (rows, <paramref name="time"/>, <paramref name="heads"/>, D), vector v at
    /// position <paramref name="startPosition"/> + (v / heads) % time; <paramref name="cos2"/> and <paramref name="sin2"/> hold D
    /// floats per position. y may alias x (not with accumulate).
    /// </summary>
    public static void Rotate(ReadOnlySpan<float> x, Span<float> y, int vectors, int time, int heads, int headDim, int startPosition,
        ReadOnlySpan<float> cos2, ReadOnlySpan<float> sin2, bool accumulate) =>
        Rotate(x, y, vectors, time, heads, headDim, startPosition, cos2, sin2, accumulate, Simd.Level);

    internal static unsafe void Rotate(ReadOnlySpan<float> x, Span<float> y, int vectors, int time, int heads, int headDim, int startPosition,
        ReadOnlySpan<float> cos2, ReadOnlySpan<float> sin2, bool accumulate, SimdLevel simd)
    {
        if (headDim <= 0 || headDim % 2 != 0 || time <= 0 || heads <= 0 || vectors < 0)
            throw new ArgumentOutOfRangeException(nameof(headDim), $"RopeKernels.Rotate: bad layout: {vectors} vectors, time {time}, heads {heads}, head dimension {headDim}.");
        long floats = (long)vectors * headDim;
        if (x.Length < floats || y.Length < floats)
            throw new ArgumentException($"RopeKernels.Rotate: x has {x.Length} and y {y.Length} floats for {vectors} vectors of {headDim}.");
        int lastPosition = startPosition + Math.Min(vectors / heads + (vectors % heads == 0 ? 0 : 1), time) - 1;
        if (startPosition < 0 || (long)(lastPosition + 1) * headDim > Math.Min(cos2.Length, sin2.Length))
            throw new ArgumentOutOfRangeException(nameof(startPosition), $"RopeKernels.Rotate: positions from {startPosition} to {lastPosition} exceed tables of {Math.Min(cos2.Length, sin2.Length) / headDim} positions.");
        fixed (float* px = x, py = y, pc = cos2, ps = sin2)
        {
            var layout = new Layout((nint)px, (nint)py, (nint)pc, (nint)ps, time, heads, headDim, startPosition, accumulate, simd);
            int perChunk = Math.Max(1, ChunkFloats / headDim);
            int chunks = (vectors + perChunk - 1) / perChunk;
            if (chunks <= 1)
            {
                layout.Run(0, vectors);
                return;
            }
            var job = _job ??= new ChunkJob();
            (job.Layout, job.Vectors, job.PerChunk) = (layout, vectors, perChunk);
            Threading.For(chunks, job);
        }
    }

    private readonly record struct Layout(nint X, nint Y, nint Cos2, nint Sin2, int Time, int Heads, int HeadDim, int StartPosition,
        bool Accumulate, SimdLevel Simd)
    {
        public unsafe void Run(int first, int count)
        {
            for (int v = first; v < first + count; v++)
            {
                long offset = (long)v * HeadDim, table = (long)(StartPosition + v / Heads % Time) * HeadDim;
                Vector((float*)X + offset, (float*)Y + offset, (float*)Cos2 + table, (float*)Sin2 + table, HeadDim, Accumulate, Simd);
            }
        }
    }

    private sealed class ChunkJob : ParallelJob
    {
        public Layout Layout;
        public int Vectors, PerChunk;

        public override void Run(int index)
        {
            int first = index * PerChunk;
            Layout.Run(first, Math.Min(PerChunk, Vectors - first));
        }
    }

    private static unsafe void Vector(float* x, float* y, float* c, float* s, int n, bool accumulate, SimdLevel simd)
    {
        int i = 0;
        if (simd >= SimdLevel.V256 && Avx.IsSupported)
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                var swapped = Avx.Permute(v, 0b10_11_00_01); // (x₁, x₀, x₃, x₂, …)
                var r = v * Vector256.Load(c + i) + swapped * Vector256.Load(s + i);
                if (accumulate) r = Vector256.Load(y + i) + r;
                r.Store(y + i);
            }
        for (; i < n; i += 2)
        {
            float x0 = x[i], x1 = x[i + 1];
            float r0 = x0 * c[i] + x1 * s[i];
            float r1 = x1 * c[i + 1] + x0 * s[i + 1];
            if (accumulate)
            {
                r0 = y[i] + r0;
                r1 = y[i + 1] + r1;
            }
            y[i] = r0;
            y[i + 1] = r1;
        }
    }
}
