using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using TinyLM.Kernels;

namespace TinyLM.Bench.Harness;

/// <summary>One product to time: C (m×n) = op(A) (m×k) · op(B) (k×n), row-major.</summary>
internal readonly record struct GemmShape(int M, int N, int K, bool TransA = false, bool TransB = false)
{
    public string Op => (TransA ? "t" : "n") + (TransB ? "t" : "n");

    /// <summary>Parses "MxNxK" with an optional ":nn|nt|tn|tt" suffix.</summary>
    public static GemmShape Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split(':');
        var dims = parts[0].Split('x');
        string op = parts.Length > 1 ? parts[1] : "nn";
        if (parts.Length > 2 || dims.Length != 3 || op is not ("nn" or "nt" or "tn" or "tt")
            || !int.TryParse(dims[0], out int m) || !int.TryParse(dims[1], out int n) || !int.TryParse(dims[2], out int k)
            || m < 1 || n < 1 || k < 1)
            throw new FormatException($"bench gemm: shape '{text}' is not MxNxK[:nn|nt|tn|tt] with positive sizes (e.g. 32x256x64:nt).");
        return new GemmShape(m, n, k, op[0] == 't', op[1] == 't');
    }
}

/// <summary>One row of `tinylm bench gemm`.</summary>
internal sealed record GemmBenchResult(
    [property: JsonPropertyName("m")] int M,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("ours_gflops")] double OursGflops,
    [property: JsonPropertyName("openblas_gflops")] double? OpenBlasGflops,
    [property: JsonPropertyName("ratio")] double? Ratio,
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("kernel")] string Kernel);

[JsonSerializable(typeof(List<GemmBenchResult>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class GemmBenchJson : JsonSerializerContext;

/// <summary>
/// Times TinyLM's GEMM against OpenBLAS in the same process. Trials of the two alternate so that load
/// from other processes hits both alike; each trial repeats the product for at least ~40 ms, and the
/// best trial counts (the least disturbed by anything else on the machine).
/// </summary>
internal static unsafe class GemmBench
{
    public static readonly GemmShape[] Shapes =
        [new(64, 64, 64), new(32, 256, 64), new(128, 512, 128), new(256, 256, 256), new(512, 512, 512), new(1024, 1024, 1024)];

    private const double TrialSeconds = 0.04;

    // OpenBLAS workers keep spinning for a while after a call; pause so they do not steal a core from us.
    private const int SwitchPauseMs = 120;

    public static List<GemmBenchResult> Run(IReadOnlyList<GemmShape> shapes, IReadOnlyList<int> threadCounts, int trials, OpenBlas? openBlas,
        Action<GemmBenchResult>? progress)
    {
        var results = new List<GemmBenchResult>();
        int savedThreads = Threading.MaxThreads;
        try
        {
            foreach (int threads in threadCounts)
                foreach (var shape in shapes)
                {
                    var result = Measure(shape, threads, trials, openBlas);
                    results.Add(result);
                    progress?.Invoke(result);
                }
        }
        finally
        {
            Threading.MaxThreads = savedThreads;
        }
        return results;
    }

    private static GemmBenchResult Measure(GemmShape shape, int threads, int trials, OpenBlas? openBlas)
    {
        var (m, n, k, ta, tb) = (shape.M, shape.N, shape.K, shape.TransA, shape.TransB);
        int lda = ta ? m : k, ldb = tb ? k : n;
        var rng = new Random(1234);
        float* a = Alloc(m * k, rng), b = Alloc(k * n, rng), c = Alloc(m * n, rng);
        try
        {
            Threading.MaxThreads = threads;
            openBlas?.SetThreads(threads);
            void Ours() => Gemm.Multiply(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
            void Theirs() => openBlas!.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);

            int oursIters = Calibrate(Ours);
            int theirIters = openBlas is null ? 0 : Calibrate(Theirs);
            double oursBest = double.MaxValue, theirsBest = double.MaxValue;
            for (int t = 0; t < trials; t++)
            {
                oursBest = Math.Min(oursBest, Time(Ours, oursIters));
                if (openBlas is null) continue;
                if (threads > 1) Thread.Sleep(SwitchPauseMs);
                theirsBest = Math.Min(theirsBest, Time(Theirs, theirIters));
                if (threads > 1) Thread.Sleep(SwitchPauseMs);
            }
            double flops = 2.0 * m * n * k;
            double ours = flops / oursBest / 1e9;
            double? theirs = openBlas is null ? null : flops / theirsBest / 1e9;
            return new GemmBenchResult(m, n, k, threads, Math.Round(ours, 2), theirs is null ? null : Math.Round(theirs.Value, 2),
                theirs is null ? null : Math.Round(ours / theirs.Value, 3), shape.Op, Gemm.DescribePath(ta, tb, m, n, k));
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }

    /// <summary>Warms up (JIT tiers, caches, thread pools) and returns the repeat count for one trial.</summary>
    private static int Calibrate(Action op)
    {
        for (int i = 0; i < 3; i++) op();
        var sw = Stopwatch.StartNew();
        int iters = 0;
        while (sw.Elapsed.TotalSeconds < TrialSeconds / 2) { op(); iters++; }
        return Math.Max(1, (int)(iters * TrialSeconds / sw.Elapsed.TotalSeconds));
    }

    /// <summary>Seconds per call, averaged over one trial.</summary>
    private static double Time(Action op, int iters)
    {
        op();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < iters; i++) op();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / iters;
    }

    private static float* Alloc(int count, Random rng)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, count) * sizeof(float), 64);
        for (int i = 0; i < count; i++) p[i] = (float)(rng.NextDouble() * 2 - 1);
        return p;
    }
}
