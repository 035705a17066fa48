using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TinyLM.Cli.Common;

namespace TinyLM.Cli.Bench;

/// <summary>`tinylm bench …`: side-by-side performance checks against native peers.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmark TinyLM kernels against native peers on this machine.");
        bench.Subcommands.Add(CreateGemm());
        bench.Subcommands.Add(GenerateBench.CreateCommand());
        return bench;
    }

    private static Command CreateGemm()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array (m, n, k, threads, ours_gflops, openblas_gflops, ratio)." };
        var threads = new Option<int?>("--threads") { Description = "Measure only this thread count (default: 1 and all cores)." };
        var trials = new Option<int>("--trials") { Description = "Timed trials per shape; the best counts.", DefaultValueFactory = _ => 7 };
        var shapes = new Option<string[]>("--shape")
        {
            Description = "Time this shape instead of the standard set: MxNxK[:nn|nt|tn|tt] (repeatable), e.g. 32x256x64:nt.",
            AllowMultipleArgumentsPerToken = true,
        };
        var gemm = new Command("gemm", "SGEMM GFLOPS, TinyLM vs OpenBLAS, for C (m×n) = op(A) (m×k)·op(B) (k×n), row-major. "
            + "The kernel column names TinyLM's path (SIMD level, tile, direct or packed); TINYLM_SIMD=scalar|v128|v256|v512 and "
            + "TINYLM_GEMM=direct|packed force one, OPENBLAS_CORETYPE (e.g. Haswell) forces OpenBLAS's.");
        gemm.Options.Add(json);
        gemm.Options.Add(threads);
        gemm.Options.Add(trials);
        gemm.Options.Add(shapes);
        gemm.SetRunner(parseResult => RunGemm(parseResult.GetValue(json), parseResult.GetValue(threads), parseResult.GetValue(trials),
            parseResult.GetValue(shapes)));
        return gemm;
    }

    private static int RunGemm(bool json, int? threads, int trials, string[]? shapeTexts)
    {
        if (threads is < 1 || trials < 1)
            throw new CliError($"bench gemm: --threads and --trials must be at least 1 (got threads={threads}, trials={trials}).", ExitCodes.Usage);
        GemmShape[] shapes;
        try
        {
            shapes = shapeTexts is { Length: > 0 } ? [.. shapeTexts.Select(GemmShape.Parse)] : GemmBench.Shapes;
        }
        catch (FormatException e)
        {
            throw new CliError(e.Message, ExitCodes.Usage);
        }
        int[] counts = threads is { } t ? [t] : Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];
        var openBlas = OpenBlas.TryLoad();
        if (openBlas is null)
            Console.Error.WriteLine($"OpenBLAS not found ({OpenBlas.LibraryName}); showing TinyLM only. "
                + "Install it to compare, e.g. `apt-get install libopenblas0` (Debian/Ubuntu) or `dnf install openblas` (Fedora).");
        var ci = CultureInfo.InvariantCulture;
        if (!json)
            Console.WriteLine(string.Format(ci, "{0,6} {1,6} {2,6} {3,3} {4,8} {5,12} {6,16} {7,8}  {8}", "m", "n", "k", "op", "threads",
                "TinyLM GF/s", "OpenBLAS GF/s", "ratio", "TinyLM kernel"));
        var results = GemmBench.Run(shapes, counts, trials, openBlas, json ? null : r =>
            Console.WriteLine(string.Format(ci, "{0,6} {1,6} {2,6} {3,3} {4,8} {5,12:F1} {6,16} {7,8}  {8}", r.M, r.N, r.K, r.Op, r.Threads,
                r.OursGflops, r.OpenBlasGflops is { } g ? g.ToString("F1", ci) : "-", r.Ratio is { } x ? x.ToString("F2", ci) : "-", r.Kernel)));
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(results, GemmBenchJson.Default.ListGemmBenchResult));
        return 0;
    }
}
