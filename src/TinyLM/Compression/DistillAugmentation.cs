using TinyLM.Tensors;

namespace TinyLM.Compression;

/// <summary>
/// A transfer set for distillation made from the training texts themselves (as in Tang et al. 2019,
/// "Distilling task-specific knowledge from BERT into simple neural networks"): each copy drops every word with
/// a probability and, half of the time, keeps only a random window of at least half the words. The texts are
/// near the data but unseen, and the teacher labels them, so the student learns how the teacher's answer moves
/// when words are missing — information that one-hot labels on the original texts do not carry.
/// </summary>
public static class DistillAugmentation
{
    /// <summary>
    /// <paramref name="copies"/> perturbed copies of every text (empty results are skipped), the same for the same seed.
    /// </summary>
    public static List<string> Perturb(IReadOnlyList<string> texts, int copies, float dropProbability, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (copies < 0) throw new ArgumentOutOfRangeException(nameof(copies), $"augmentation copies must be ≥ 0, got {copies}.");
        if (!(dropProbability is >= 0f and < 1f))
            throw new ArgumentOutOfRangeException(nameof(dropProbability), $"augmentation word-drop probability must be in [0, 1), got {dropProbability}.");
        var rng = new Rng(seed);
        var result = new List<string>(texts.Count * copies);
        var kept = new List<string>();
        foreach (var text in texts)
        {
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            for (int k = 0; k < copies; k++)
            {
                kept.Clear();
                foreach (var word in words)
                    if (rng.NextFloat() >= dropProbability) kept.Add(word);
                int start = 0, count = kept.Count;
                if (rng.NextFloat() < 0.5f && kept.Count > 10)
                {
                    int half = Math.Max(5, kept.Count / 2);
                    count = half + rng.NextInt(kept.Count - half + 1);
                    start = rng.NextInt(kept.Count - count + 1);
                }
                if (count > 0) result.Add(string.Join(' ', kept.GetRange(start, count)));
            }
        }
        return result;
    }
}
