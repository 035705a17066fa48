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
        var gemm = new Command("gemm", "SGEMM GFLOPS, TinyLM vs OpenBLAS, for C (m×n) = A (m×k)·B (k×n), row-major.");
        gemm.Options.Add(json);
        gemm.Options.Add(threads);
        gemm.Options.Add(trials);
        gemm.SetRunner(parseResult => RunGemm(parseResult.GetValue(json), parseResult.GetValue(threads), parseResult.GetValue(trials)));
        return gemm;
    }

    private static int RunGemm(bool json, int? threads, int trials)
    {
        if (threads is < 1 || trials < 1)
            throw new CliError($"bench gemm: --threads and --trials must be at least 1 (got threads={threads}, trials={trials}).", ExitCodes.Usage);
        int[] counts = threads is { } t ? [t] : Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];
        var openBlas = OpenBlas.TryLoad();
        if (openBlas is null)
            Console.Error.WriteLine($"OpenBLAS not found ({OpenBlas.LibraryName}); showing TinyLM only. "
                + "Install it to compare, e.g. `apt-get install libopenblas0` (Debian/Ubuntu) or `dnf install openblas` (Fedora).");
        var ci = CultureInfo.InvariantCulture;
        if (!json)
            Console.WriteLine(string.Format(ci, "{0,6} {1,6} {2,6} {3,8} {4,12} {5,16} {6,8}", "m", "n", "k", "threads", "TinyLM GF/s", "OpenBLAS GF/s", "ratio"));
        var results = GemmBench.Run(counts, trials, openBlas, json ? null : r =>
            Console.WriteLine(string.Format(ci, "{0,6} {1,6} {2,6} {3,8} {4,12:F1} {5,16} {6,8}", r.M, r.N, r.K, r.Threads, r.OursGflops,
                r.OpenBlasGflops is { } g ? g.ToString("F1", ci) : "-", r.Ratio is { } x ? x.ToString("F2", ci) : "-")));
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(results, GemmBenchJson.Default.ListGemmBenchResult));
        return 0;
    }
}
