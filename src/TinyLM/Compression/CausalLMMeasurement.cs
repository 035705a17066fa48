using System.Diagnostics;
using System.Numerics.Tensors;
using TinyLM.Models;

namespace TinyLM.Compression;

/// <summary>
/// What compressing a language model (quantize, distill) costs and saves, for one model (before or after), on the inference path (KV-cached run state,
/// quantized kernels included) and the same token windows.
/// </summary>
/// <param name="Bytes">Model file size.</param>
/// <param name="Parameters">Parameter count (a quantized weight still counts each value once).</param>
/// <param name="ValLoss">Mean next-token cross-entropy (nats) over the evaluation windows, or null without text.</param>
/// <param name="LatencyMsBatch1">Milliseconds per greedily decoded token (one sequence, KV cache).</param>
/// <param name="ThroughputBatch64">Tokens per second scored in chunks of 64 positions (every matrix product has 64 rows).</param>
public sealed record CausalLMMeasurement(long Bytes, long Parameters, double? ValLoss, double LatencyMsBatch1, double? ThroughputBatch64)
{
    /// <summary>Predicted positions evaluated at most (the first windows of the text).</summary>
    public const int MaxEvalTokens = 65_536;

    /// <summary>Decode tokens/s (1000 / <see cref="LatencyMsBatch1"/>).</summary>
    public double DecodeTokensPerSecond => 1000 / LatencyMsBatch1;

    public static CausalLMMeasurement Measure(TokenizedCausalLM lm, string file, int[]? evalIds, int trials = 3)
    {
        ArgumentNullException.ThrowIfNull(lm);
        var model = lm.Model;
        long parameters = model.Parameters().Sum(p => (long)p.Length);
        long bytes = new FileInfo(file).Length;
        var state = model.CreateRunState();
        double? loss = null, throughput = null;
        if (evalIds is { Length: > 1 })
        {
            int t = model.Config.ContextLength;
            double total = 0;
            long count = 0;
            var watch = Stopwatch.StartNew();
            for (int start = 0; start + 1 < evalIds.Length && count < MaxEvalTokens; start += t)
            {
                var window = evalIds.AsSpan(start, Math.Min(t + 1, evalIds.Length - start));
                total += state.NegativeLogLikelihood(window);
                count += window.Length - 1;
            }
            throughput = count / watch.Elapsed.TotalSeconds;
            loss = total / count;
        }
        return new(bytes, parameters, loss, 1000 / MeasureDecode(state, lm.BosId ?? 0, trials), throughput);
    }

    /// <summary>
    /// Greedy decode tokens/s from <paramref name="first"/> until the context is full: the best of at least
    /// <paramref name="trials"/> runs, and of as many as fit in a second (a tiny model's run takes milliseconds, and
    /// one run on a shared machine says little), after a warm-up.
    /// </summary>
    public static double MeasureDecode(CausalLMRunState state, int first, int trials)
    {
        ArgumentNullException.ThrowIfNull(state);
        double best = 0;
        var budget = Stopwatch.StartNew();
        for (int trial = -1; trial < trials || budget.Elapsed.TotalSeconds < 1; trial++)
        {
            state.Reset();
            var logits = state.Prefill([first]);
            int steps = state.ContextLength - 1;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < steps; i++) logits = state.DecodeStep(TensorPrimitives.IndexOfMax(logits));
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (trial >= 0 && steps > 0) best = Math.Max(best, steps / seconds);
        }
        return best;
    }
}
