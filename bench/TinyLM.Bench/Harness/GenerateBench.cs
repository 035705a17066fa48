using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Bench.Harness;

/// <summary>One row of `bench generate`: greedy decode speed of one shape at one thread count.</summary>
public sealed record GenerateBenchResult(
    [property: JsonPropertyName("shape")] string Shape,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("ours_tokens_per_second")] double OursTokensPerSecond,
    [property: JsonPropertyName("llamacpp_tokens_per_second")] double? LlamaCppTokensPerSecond,
    [property: JsonPropertyName("ratio")] double? Ratio,
    [property: JsonPropertyName("type")] string Type = "f32",
    [property: JsonPropertyName("speedup_vs_f32")] double? SpeedupVsF32 = null);

[JsonSerializable(typeof(List<GenerateBenchResult>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class GenerateBenchJson : JsonSerializerContext;

/// <summary>
/// The decode benchmark of `tinylm bench generate`: float32 (or quantized) greedy decoding of a llama2.c-shaped model with seeded random weights, as
/// llama2.c's <c>run -n 256</c> counts it — BOS, then 255 generated tokens, tokens/s over the decode steps. The
/// CLI measures TinyLM only (the product carries no native code); the llama.cpp side of the same comparison is
/// the bench project's <c>generate</c> mode, which adds llama.cpp on the exported GGUF. This file is compiled into
/// both (see TinyLM.Cli.csproj).
/// </summary>
public static class GenerateBench
{
    /// <summary>Positions filled, BOS included (llama2.c's -n).</summary>
    public const int Positions = 256;

    /// <summary>Seed of the random weights, so every run and both runtimes see the same model.</summary>
    public const ulong Seed = 1234;

    /// <summary>The command that adds llama.cpp's figures.</summary>
    public const string PeerCommand = "dotnet run --project bench/TinyLM.Bench -c Release -- generate";

    /// <summary>The llama2.c shape named by <paramref name="name"/> (15m or 110m).</summary>
    public static LlamaShape Shape(string name) => name.ToLowerInvariant() switch
    {
        "15m" => LlamaShape.Stories15M,
        "110m" => LlamaShape.Stories110M,
        _ => throw new ArgumentException($"bench generate: --shape must be 15m or 110m, got \"{name}\"."),
    };

    /// <summary>1 and all cores (just 1 on a one-core machine).</summary>
    public static int[] ThreadCounts() => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    /// <summary>
    /// A vocabulary of the shape's size laid out like llama2.c's (unk, BOS, EOS, 256 byte pieces, then filler
    /// pieces), so the GGUF carries a tokenizer llama.cpp accepts.
    /// </summary>
    public static LlamaTokenizer SyntheticTokenizer(int vocab)
    {
        var pieces = new List<byte[]>(vocab) { "<unk>"u8.ToArray(), "\n<s>\n"u8.ToArray(), "\n</s>\n"u8.ToArray() };
        for (int b = 0; b < 256 && pieces.Count < vocab; b++) pieces.Add(Encoding.ASCII.GetBytes($"<0x{b:X2}>"));
        while (pieces.Count < vocab) pieces.Add(Encoding.ASCII.GetBytes($"t{pieces.Count}"));
        var scores = new float[vocab];
        for (int i = 0; i < vocab; i++) scores[i] = -i;
        return new LlamaTokenizer(pieces, scores);
    }

    /// <summary>Tokens/s of <paramref name="decodeStep"/> over the decode steps after a BOS prefill (best of <paramref name="trials"/>).</summary>
    public static double Measure(Func<ReadOnlySpan<int>, float[]> prefill, Func<int, float[]> decodeStep, Action reset, int trials = 1)
    {
        double best = 0;
        // A short untimed run first: page faults, thread start-up and JIT belong to no token.
        for (int trial = -1; trial < trials; trial++)
        {
            reset();
            int steps = trial < 0 ? 16 : Positions - 1;
            float[] logits = prefill([1]);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++)
                logits = decodeStep(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits));
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (trial >= 0) best = Math.Max(best, steps / seconds);
        }
        return best;
    }

    /// <summary>TinyLM's decode speed on <paramref name="threads"/> threads.</summary>
    public static double MeasureOurs(CausalLM model, int threads, int trials = 1)
    {
        int saved = Threading.MaxThreads;
        try
        {
            Threading.MaxThreads = threads;
            CausalLMRunState state = model.CreateRunState();
            return Measure(t => state.Prefill(t).ToArray(), t => state.DecodeStep(t).ToArray(), state.Reset, trials);
        }
        finally
        {
            Threading.MaxThreads = saved;
        }
    }

    /// <summary>Prints a table, or the JSON array for --json.</summary>
    public static void Print(IReadOnlyList<GenerateBenchResult> results, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(results.ToList(), GenerateBenchJson.Default.ListGenerateBenchResult));
            return;
        }
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(ci, "{0,6} {1,5} {2,8} {3,14} {4,9} {5,16} {6,7}", "shape", "type", "threads", "TinyLM tok/s", "vs f32", "llama.cpp tok/s", "ratio"));
        foreach (GenerateBenchResult r in results)
            Console.WriteLine(string.Format(ci, "{0,6} {1,5} {2,8} {3,14:F1} {4,9} {5,16} {6,7}", r.Shape, r.Type, r.Threads, r.OursTokensPerSecond,
                r.SpeedupVsF32 is { } s ? s.ToString("F2", ci) + "×" : "-",
                r.LlamaCppTokensPerSecond is { } l ? l.ToString("F1", ci) : "-", r.Ratio is { } x ? x.ToString("F2", ci) : "-"));
    }

    /// <summary>The model in each requested storage type (f32 first, so quantized rows can be compared with it).</summary>
    public static List<(string Type, CausalLM Model)> QuantizedVariants(CausalLM model, string types)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(types);
        var names = types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).Distinct().ToList();
        if (names.Count == 0) throw new ArgumentException("bench generate: --type names no storage type.");
        var result = new List<(string, CausalLM)>();
        foreach (var type in names.OrderBy(n => n == "f32" ? 0 : 1))
        {
            if (type == "f32")
            {
                result.Add((type, model));
                continue;
            }
            if (!QuantizationTypeExtensions.TryParse(type, out var q) || q.Block() is null)
                throw new ArgumentException($"bench generate: --type must list f32, q8_0, q4_0 or q4_k, got \"{type}\".");
            var lm = new TokenizedCausalLM(model, SyntheticTokenizer(model.Config.VocabSize));
            result.Add((type, CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = q, MaxLayerError = double.PositiveInfinity }).Model.Model));
        }
        return result;
    }
}
