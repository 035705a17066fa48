using TinyLM.Cli.Bench;
using TinyLM.IO;
using TinyLM.Models;

namespace TinyLM.Bench.LlamaCpp;

/// <summary>
/// `TinyLM.Bench generate [--shape 15m|110m] [--json] [--trials N]`: `tinylm bench generate` with llama.cpp beside
/// it — the same seeded weights exported to a temporary f32 GGUF, decoded greedily by both on 1 thread and all
/// cores, runs of the two alternating so that load from elsewhere hits both alike.
/// </summary>
public static class GeneratePeerBench
{
    public static int Run(string[] args)
    {
        string shapeName = "15m";
        bool json = false;
        int trials = 3;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--shape" when i + 1 < args.Length: shapeName = args[++i].ToLowerInvariant(); break;
                case "--json": json = true; break;
                case "--trials" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t > 0: trials = t; i++; break;
                default:
                    Console.Error.WriteLine($"generate: unknown argument '{args[i]}'. Usage: generate [--shape 15m|110m] [--json] [--trials N]");
                    return 2;
            }
        }
        if (LlamaCppSession.LoadError() is { } error)
        {
            Console.Error.WriteLine(error);
            return 1;
        }
        LlamaShape shape = GenerateBench.Shape(shapeName);
        LlamaWeights weights = LlamaWeights.Random(shape, GenerateBench.Seed);
        string path = Path.Combine(Path.GetTempPath(), $"tinylm-bench-{shapeName}-{Environment.ProcessId}.gguf");
        try
        {
            LlamaGguf.Write(path, weights, GgufVocabulary.FromLlama(GenerateBench.SyntheticTokenizer(shape.VocabSize)), GgmlType.F32, $"random-{shapeName}");
            CausalLM model = LlamaConversion.ToModel(weights);
            var results = new List<GenerateBenchResult>();
            foreach (int threads in GenerateBench.ThreadCounts())
            {
                double ours = 0, theirs = 0;
                for (int trial = 0; trial < trials; trial++)
                {
                    ours = Math.Max(ours, GenerateBench.MeasureOurs(model, threads));
                    theirs = Math.Max(theirs, MeasureLlamaCpp(path, shape.ContextLength, threads));
                }
                results.Add(new GenerateBenchResult(shapeName, threads, ours, theirs, ours / theirs));
            }
            GenerateBench.Print(results, json);
            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double MeasureLlamaCpp(string path, int context, int threads)
    {
        LlamaCppSession? session = null;
        try
        {
            // A fresh context per run is llama.cpp's cheapest reset; the weights stay in the page cache.
            return GenerateBench.Measure(
                t => session!.Prefill(t),
                t => session!.DecodeStep(t).ToArray(),
                () =>
                {
                    session?.Dispose();
                    session = new LlamaCppSession(path, context, threads);
                });
        }
        finally
        {
            session?.Dispose();
        }
    }
}
