using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TinyLM.Bench.Harness;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Models;

namespace TinyLM.Cli.Bench;

/// <summary>
/// `tinylm bench …`: side-by-side performance checks against native peers. The verbs' options and output are here;
/// the measuring code is the benchmark harness in bench/TinyLM.Bench/Harness, compiled into the CLI.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmark TinyLM kernels against native peers on this machine.");
        bench.Subcommands.Add(CreateGemm());
        bench.Subcommands.Add(CreateGenerate());
        return bench;
    }

    private static Command CreateGemm()
    {
        var threads = SharedOptions.MeasureThreads;
        var trials = new Option<int>("--trials") { Description = "Timed trials per shape; the best counts.", DefaultValueFactory = _ => 7 };
        var shapes = new Option<string[]>("--shape")
        {
            Description = "Time this shape instead of the standard set: MxNxK[:nn|nt|tn|tt] (repeatable), e.g. 32x256x64:nt.",
            AllowMultipleArgumentsPerToken = true,
        };
        var gemm = new Command("gemm", "SGEMM GFLOPS, TinyLM vs OpenBLAS, for C (m×n) = op(A) (m×k)·op(B) (k×n), row-major. "
            + "The kernel column names TinyLM's path (SIMD level, tile, direct or packed); TINYLM_SIMD=scalar|v128|v256|v512 and "
            + "TINYLM_GEMM=direct|packed force one, OPENBLAS_CORETYPE (e.g. Haswell) forces OpenBLAS's.");
        gemm.AddOptions([SharedOptions.Json, threads, trials, shapes]);
        gemm.SetRunner(parseResult => RunGemm(parseResult.GetValue(SharedOptions.Json), parseResult.GetValue(threads), parseResult.GetValue(trials),
            parseResult.GetValue(shapes)));
        return gemm;
    }

    private static int RunGemm(bool json, int? threads, int trials, string[]? shapeTexts)
    {
        if (threads is < 1 || trials < 1)
            throw new CliError($"bench gemm: --threads and --trials must be at least 1 (got threads={threads}, trials={trials}).", ExitCodes.Usage);
        GemmShape[] shapes = shapeTexts is { Length: > 0 } ? [.. shapeTexts.Select(Shape)] : GemmBench.Shapes;
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

    // A shape the user typed: a malformed one is a usage error, not bad input.
    private static GemmShape Shape(string text)
    {
        try
        {
            return GemmShape.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliError(e.Message, ExitCodes.Usage);
        }
    }

    private static Command CreateGenerate()
    {
        var shape = new Option<string>("--shape") { Description = "Model shape: 15m (dim 288, 6 layers) or 110m (dim 768, 12 layers).", DefaultValueFactory = _ => "15m" };
        var trials = new Option<int>("--trials") { Description = "Timed runs per thread count; the best counts.", DefaultValueFactory = _ => 3 };
        var types = new Option<string>("--type") { Description = "Weight storage to time, comma-separated: f32, q8_0, q4_0, q4_k (e.g. f32,q8_0,q4_0,q4_k; quantized rows also give the speed-up over f32 from the same run).", DefaultValueFactory = _ => "f32" };
        var command = new Command("generate", $"Greedy float32 decode tokens/s of a random llama2.c-shaped model on 1 thread and all cores. llama.cpp on the same weights: `{GenerateBench.PeerCommand}`.");
        command.AddOptions([shape, SharedOptions.Json, SharedOptions.MeasureThreads, trials, types]);
        command.SetRunner(p =>
        {
            string name = p.GetValue(shape)!.ToLowerInvariant();
            int t = p.GetValue(trials);
            if (t < 1) throw new CliError($"bench generate: --trials must be at least 1, got {t}.", ExitCodes.Usage);
            int? only = p.GetValue(SharedOptions.MeasureThreads);
            if (only is < 1) throw new CliError($"bench generate: --threads must be at least 1, got {only}.", ExitCodes.Usage);
            int[] threadCounts = only is { } n ? [n] : GenerateBench.ThreadCounts();
            var llamaShape = CliError.Check(() => GenerateBench.Shape(name));
            CausalLM model = LlamaConversion.ToModel(LlamaWeights.Random(llamaShape, GenerateBench.Seed));
            var models = CliError.Check(() => GenerateBench.QuantizedVariants(model, p.GetValue(types)!));
            var results = new List<GenerateBenchResult>();
            foreach (int threads in threadCounts)
            {
                double? f32 = null;
                foreach (var (type, variant) in models)
                {
                    double ours = GenerateBench.MeasureOurs(variant, threads, t);
                    if (type == "f32") f32 = ours;
                    results.Add(new GenerateBenchResult(name, threads, ours, null, null, type, type != "f32" && f32 is { } baseline ? ours / baseline : null));
                }
            }
            bool json = p.GetValue(SharedOptions.Json);
            GenerateBench.Print(results, json);
            if (!json)
                Console.Error.WriteLine($"llama.cpp is a benchmark-only peer, not part of the tinylm tool; for its figures and the ratio run: {GenerateBench.PeerCommand} --shape {name}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
