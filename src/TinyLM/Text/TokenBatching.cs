using TinyLM.Tensors;

namespace TinyLM.Text;

/// <summary>Batches sized by a token budget instead of a sentence count (translation, fairseq's --max-tokens).</summary>
public static class TokenBatching
{
    /// <summary>
    /// Batches whose padded size (rows × longest row) stays within <paramref name="maxTokens"/>: the indices are
    /// shuffled (seeded), cut into chunks of <paramref name="chunk"/>, each chunk sorted by length, packed greedily,
    /// and the batch order shuffled. A row longer than the budget still gets a batch of its own. Without
    /// <paramref name="shuffle"/>, everything is sorted by length and kept in that order.
    /// </summary>
    public static List<int[]> ByTokens(IReadOnlyList<int> lengths, int maxTokens, ulong seed, bool shuffle = true, int chunk = 8192)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        int n = lengths.Count;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var rng = new SplitMix64(seed);
        if (shuffle) rng.Shuffle(order.AsSpan());
        int size = shuffle ? Math.Max(1, chunk) : Math.Max(n, 1);
        Comparison<int> byLength = (x, y) => lengths[x] != lengths[y] ? lengths[x].CompareTo(lengths[y]) : x.CompareTo(y);
        var batches = new List<int[]>();
        for (int start = 0; start < n; start += size)
        {
            var part = order.AsSpan(start, Math.Min(size, n - start));
            part.Sort(byLength);
            int begin = 0, longest = 0;
            for (int i = 0; i < part.Length; i++)
            {
                int len = Math.Max(1, lengths[part[i]]);
                int grown = Math.Max(longest, len);
                if (i > begin && (long)grown * (i - begin + 1) > maxTokens)
                {
                    batches.Add(part[begin..i].ToArray());
                    begin = i;
                    grown = len;
                }
                longest = grown;
            }
            if (begin < part.Length) batches.Add(part[begin..].ToArray());
        }
        if (shuffle) rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }
}
