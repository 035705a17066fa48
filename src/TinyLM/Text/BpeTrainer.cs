using System.Text;

namespace TinyLM.Text;

/// <summary>
/// Byte-level BPE training with incremental pair counts: each merge touches only the distinct
/// words that contain the merged pair, and a lazy max-heap yields the next best pair. The most
/// frequent pair wins; ties go to the smaller (left id, right id), so the merges depend only on
/// the corpus, not on dictionary order or thread timing.
/// </summary>
internal static class BpeTrainer
{
    private readonly record struct Priority(long Count, long Pair);

    private sealed class PriorityOrder : IComparer<Priority>
    {
        public static readonly PriorityOrder Instance = new();

        public int Compare(Priority x, Priority y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Learns up to <paramref name="maxMerges"/> merges over ids where byte b is id <paramref name="byteBase"/> + b.</summary>
    public static List<(int Left, int Right)> Train(IEnumerable<string> texts, int byteBase, int maxMerges, int minFrequency)
    {
        // 1. Distinct chunks with their frequencies.
        var chunkCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var spans = new List<(int Start, int Length)>();
        foreach (string text in texts)
        {
            spans.Clear();
            ByteLevelPreTokenizer.Split(text, spans);
            var lookup = chunkCounts.GetAlternateLookup<ReadOnlySpan<char>>();
            foreach ((int start, int length) in spans)
            {
                ReadOnlySpan<char> chunk = text.AsSpan(start, length);
                lookup[chunk] = lookup.TryGetValue(chunk, out long c) ? c + 1 : 1;
            }
        }

        int wordCount = chunkCounts.Count;
        var words = new int[wordCount][];
        var lengths = new int[wordCount];
        var freqs = new long[wordCount];
        var pairCounts = new Dictionary<long, long>();
        var where = new Dictionary<long, List<int>>();
        int w0 = 0;
        byte[] buffer = new byte[64];
        foreach ((string chunk, long count) in chunkCounts)
        {
            int max = Encoding.UTF8.GetMaxByteCount(chunk.Length);
            if (buffer.Length < max)
                buffer = new byte[max];
            int n = Encoding.UTF8.GetBytes(chunk, buffer);
            var symbols = new int[n];
            for (int i = 0; i < n; i++)
                symbols[i] = byteBase + buffer[i];
            words[w0] = symbols;
            lengths[w0] = n;
            freqs[w0] = count;
            for (int i = 0; i + 1 < n; i++)
            {
                long k = Key(symbols[i], symbols[i + 1]);
                pairCounts[k] = pairCounts.TryGetValue(k, out long c) ? c + count : count;
                if (!where.TryGetValue(k, out List<int>? list))
                    where[k] = list = [];
                if (list.Count == 0 || list[^1] != w0)
                    list.Add(w0);
            }
            w0++;
        }

        var heap = new PriorityQueue<long, Priority>(pairCounts.Count, PriorityOrder.Instance);
        foreach ((long k, long c) in pairCounts)
            heap.Enqueue(k, new Priority(c, k));

        var merges = new List<(int, int)>(maxMerges);
        var stamp = new int[wordCount];
        Array.Fill(stamp, -1);
        var delta = new Dictionary<long, long>();
        int nextId = byteBase + 256;
        while (merges.Count < maxMerges && heap.TryDequeue(out long best, out Priority prio))
        {
            if (!pairCounts.TryGetValue(best, out long current) || current != prio.Count)
                continue; // stale heap entry; a fresher one was pushed when the count changed
            if (current < minFrequency)
                break;
            int a = (int)(best >> 32), b = (int)(uint)best;
            int z = nextId++;
            int mergeIndex = merges.Count;
            merges.Add((a, b));
            delta.Clear();
            List<int> affected = where[best];
            foreach (int w in affected)
            {
                if (stamp[w] == mergeIndex)
                    continue;
                stamp[w] = mergeIndex;
                MergeWord(words[w], ref lengths[w], a, b, z, freqs[w], w, delta, where);
            }
            pairCounts.Remove(best);
            where.Remove(best);
            foreach ((long k, long d) in delta)
            {
                if (d == 0 || k == best)
                    continue;
                long c = (pairCounts.TryGetValue(k, out long old) ? old : 0) + d;
                if (c > 0)
                {
                    pairCounts[k] = c;
                    heap.Enqueue(k, new Priority(c, k));
                }
                else
                {
                    pairCounts.Remove(k);
                }
            }
        }
        return merges;
    }

    private static void MergeWord(int[] symbols, ref int length, int a, int b, int z, long freq, int w,
        Dictionary<long, long> delta, Dictionary<long, List<int>> where)
    {
        int n = length;
        int first = -1;
        for (int i = 0; i + 1 < n; i++)
        {
            if (symbols[i] == a && symbols[i + 1] == b)
            {
                first = i;
                break;
            }
        }
        if (first < 0)
            return; // the word lost this pair to an earlier merge

        for (int i = 0; i + 1 < n; i++)
            AddDelta(delta, Key(symbols[i], symbols[i + 1]), -freq);

        int write = first;
        for (int read = first; read < n; read++)
        {
            if (read + 1 < n && symbols[read] == a && symbols[read + 1] == b)
            {
                symbols[write++] = z;
                read++;
            }
            else
            {
                symbols[write++] = symbols[read];
            }
        }
        length = n = write;

        for (int i = 0; i + 1 < n; i++)
        {
            int l = symbols[i], r = symbols[i + 1];
            long k = Key(l, r);
            AddDelta(delta, k, freq);
            if (l == z || r == z)
            {
                if (!where.TryGetValue(k, out List<int>? list))
                    where[k] = list = [];
                if (list.Count == 0 || list[^1] != w)
                    list.Add(w);
            }
        }
    }

    private static void AddDelta(Dictionary<long, long> delta, long key, long d) =>
        delta[key] = delta.TryGetValue(key, out long v) ? v + d : d;
}
