using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Models.Generation;

/// <summary>
/// The steps of choosing a token from logits, each a small span function so it can be tested alone. They work on
/// unnormalised weights: filters zero out candidates and <see cref="Sample"/> draws proportionally to what is left.
/// Ties always go to the lower token id, so results never depend on sort stability.
/// </summary>
public static class Sampling
{
    /// <summary>The index of the largest logit (the lowest such index on ties).</summary>
    public static int Greedy(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("Sampling.Greedy: no logits.");
        return TensorPrimitives.IndexOfMax(logits);
    }

    /// <summary>
    /// CTRL's repetition penalty: every distinct token in <paramref name="previous"/> has its logit divided by
    /// <paramref name="penalty"/> when positive and multiplied when negative (so it always becomes less likely).
    /// </summary>
    public static void ApplyRepetitionPenalty(Span<float> logits, ReadOnlySpan<int> previous, float penalty, Span<bool> seen)
    {
        if (penalty == 1f || previous.IsEmpty) return;
        if (seen.Length < logits.Length) throw new ArgumentException($"Sampling.ApplyRepetitionPenalty: scratch of {seen.Length} for {logits.Length} logits.");
        seen[..logits.Length].Clear();
        foreach (int t in previous)
        {
            if ((uint)t >= (uint)logits.Length || seen[t]) continue;
            seen[t] = true;
            logits[t] = logits[t] > 0 ? logits[t] / penalty : logits[t] * penalty;
        }
    }

    /// <summary>Probabilities softmax(logits / temperature) into <paramref name="probabilities"/>; temperature &gt; 0.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, float temperature, Span<float> probabilities)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"Sampling.Softmax: temperature {temperature} must be positive (use Greedy for 0).");
        var p = probabilities[..logits.Length];
        TensorPrimitives.Multiply(logits, 1f / temperature, p);
        // Not TensorPrimitives.SoftMax: it does not subtract the maximum, so a logit above ~88 / temperature overflows to NaN.
        SoftmaxKernels.Softmax(p, p, 1, p.Length);
    }

    /// <summary>Zeroes every weight outside the <paramref name="k"/> largest (k ≤ 0 keeps all). <paramref name="scratch"/> holds ≥ k floats.</summary>
    public static void TopK(Span<float> weights, int k, Span<float> scratch)
    {
        if (k <= 0 || k >= weights.Length) return;
        // The k largest values, kept sorted descending by insertion: O(V) when k is small, as it is in practice.
        var top = scratch[..k];
        top.Fill(float.NegativeInfinity);
        foreach (float w in weights)
        {
            if (w <= top[k - 1]) continue;
            int i = k - 1;
            while (i > 0 && top[i - 1] < w) { top[i] = top[i - 1]; i--; }
            top[i] = w;
        }
        float threshold = top[k - 1];
        int ties = 0;
        for (int i = 0; i < k; i++) if (top[i] == threshold) ties++;
        // Keep everything above the threshold, and as many threshold-valued entries (lowest ids first) as fit in k.
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > threshold) continue;
            if (weights[i] == threshold && ties > 0) { ties--; continue; }
            weights[i] = 0f;
        }
    }

    /// <summary>
    /// Nucleus filter: keeps the smallest set of largest weights whose share of the total reaches <paramref name="p"/>
    /// and zeroes the rest. <paramref name="order"/> is scratch of ≥ V ints, <paramref name="keys"/> of ≥ V floats.
    /// </summary>
    public static void TopP(Span<float> weights, float p, Span<int> order, Span<float> keys)
    {
        if (p >= 1f) return;
        float total = TensorPrimitives.Sum(weights);
        if (!(total > 0)) return;
        // Candidates below (1 − p)/(V − 1) of the mass can never be needed (llama2.c's trick): sort only the rest.
        float cutoff = (1f - p) / Math.Max(1, weights.Length - 1) * total;
        int n = 0;
        for (int i = 0; i < weights.Length; i++)
            if (weights[i] >= cutoff && weights[i] > 0) { order[n] = i; keys[n] = -weights[i]; n++; }
        SortByKeyThenId(keys[..n], order[..n]);
        float target = p * total, cumulative = 0;
        int keep = n;
        for (int i = 0; i < n; i++)
        {
            cumulative += -keys[i];
            if (cumulative >= target) { keep = i + 1; break; }
        }
        float last = keep > 0 ? -keys[keep - 1] : float.PositiveInfinity;
        for (int i = 0; i < weights.Length; i++)
            if (weights[i] < last) weights[i] = 0f;
        // Entries equal to the last kept weight but beyond the kept count go too (their ids come later).
        for (int i = keep; i < n; i++) weights[order[i]] = 0f;
    }

    /// <summary>Zeroes weights below <paramref name="minP"/> × the largest weight.</summary>
    public static void MinP(Span<float> weights, float minP)
    {
        if (minP <= 0f || weights.IsEmpty) return;
        float threshold = minP * TensorPrimitives.Max(weights);
        for (int i = 0; i < weights.Length; i++)
            if (weights[i] < threshold) weights[i] = 0f;
    }

    /// <summary>
    /// Draws an index with probability proportional to <paramref name="weights"/> using a uniform
    /// <paramref name="u"/> in [0, 1). Falls back to the largest weight when rounding leaves nothing.
    /// </summary>
    public static int Sample(ReadOnlySpan<float> weights, float u)
    {
        float total = TensorPrimitives.Sum(weights);
        if (!(total > 0)) return Greedy(weights);
        float target = u * total, cumulative = 0;
        int lastPositive = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            cumulative += weights[i];
            lastPositive = i;
            if (cumulative > target) return i;
        }
        return lastPositive;
    }

    // Ascending by key (negated weight), then by id: a deterministic order without relying on a stable sort.
    private static void SortByKeyThenId(Span<float> keys, Span<int> ids)
    {
        keys.Sort(ids);
        int i = 0;
        while (i < keys.Length)
        {
            int j = i + 1;
            while (j < keys.Length && keys[j] == keys[i]) j++;
            if (j - i > 1) ids[i..j].Sort();
            i = j;
        }
    }
}
