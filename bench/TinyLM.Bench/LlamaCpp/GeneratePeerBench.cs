using TinyLM.Bench.Harness;
using TinyLM.IO;

namespace TinyLM.Bench.LlamaCpp;

/// <summary>
/// `TinyLM.Bench generate [--shape 15m|110m] [--type f32,q8_0,q4_0,q4_k] [--json] [--trials N]`: `tinylm bench generate`
/// with llama.cpp beside it — the same seeded weights (quantized here for q8_0/q4_0/q4_k, the blocks exported as they are)
/// in a temporary GGUF, decoded greedily by both on 1 thread and all cores, runs of the two alternating so that load
/// from elsewhere hits both alike.
/// </summary>
public static class GeneratePeerBench
{
    public static int Run(string[] args)
    {
        string shapeName = "15m";
        bool json = false;
        int trials = 3;
        string types = "f32";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--shape" when i + 1 < args.Length: shapeName = args[++i].ToLowerInvariant(); break;
                case "--json": json = true; break;
                case "--type" when i + 1 < args.Length: types = args[++i]; break;
                case "--trials" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t > 0: trials = t; i++; break;
                default:
                    Console.Error.WriteLine($"generate: unknown argument '{args[i]}'. Usage: generate [--shape 15m|110m] [--type f32,q8_0,q4_0,q4_k] [--json] [--trials N]");
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
        var vocabulary = GgufVocabulary.FromLlama(GenerateBench.SyntheticTokenizer(shape.VocabSize));
        var variants = GenerateBench.QuantizedVariants(LlamaConversion.ToModel(weights), types);
        var paths = new List<string>();
        try
        {
            foreach (var (type, model) in variants)
            {
                string path = Path.Combine(Path.GetTempPath(), $"tinylm-bench-{shapeName}-{type}-{Environment.ProcessId}.gguf");
                paths.Add(path);
                GgmlType ggml = type switch { "q8_0" => GgmlType.Q8_0, "q4_0" => GgmlType.Q4_0, "q4_k" => GgmlType.Q4_K, _ => GgmlType.F32 };
                LlamaGguf.Write(path, LlamaConversion.FromModel(model), vocabulary, ggml, $"random-{shapeName}", LlamaModelFiles.EncodedTensors(model));
            }
            var results = new List<GenerateBenchResult>();
            foreach (int threads in GenerateBench.ThreadCounts())
            {
                double? f32 = null;
                for (int v = 0; v < variants.Count; v++)
                {
                    var (type, model) = variants[v];
                    double ours = 0, theirs = 0;
                    for (int trial = 0; trial < trials; trial++)
                    {
                        ours = Math.Max(ours, GenerateBench.MeasureOurs(model, threads));
                        theirs = Math.Max(theirs, MeasureLlamaCpp(paths[v], shape.ContextLength, threads));
                    }
                    if (type == "f32") f32 = ours;
                    results.Add(new GenerateBenchResult(shapeName, threads, ours, theirs, ours / theirs, type, type != "f32" && f32 is { } b ? ours / b : null));
                }
            }
            GenerateBench.Print(results, json);
            return 0;
        }
        finally
        {
            foreach (string path in paths) File.Delete(path);
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
