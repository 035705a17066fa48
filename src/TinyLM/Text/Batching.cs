using TinyLM.Tensors;

namespace TinyLM.Text;

/// <summary>A padded batch: ids row-major with shape (B, T), the true length of each row, and T.</summary>
public sealed record PaddedBatch(int[] Ids, int[] Lengths, int T)
{
    public int B => Lengths.Length;
}

/// <summary>Batches of example indices, and padding of those batches.</summary>
public static class Batching
{
    /// <summary>
    /// Length-bucketed batches: the indices are shuffled, cut into chunks of
    /// <paramref name="batchSize"/> × <paramref name="chunkBatches"/>, each chunk is sorted by
    /// length (ties by index) and cut into batches, and the batch order is shuffled. Rows in a batch
    /// thus have similar lengths (little padding) while every epoch still sees a new order. With
    /// <paramref name="shuffle"/> false the whole set is sorted by length and nothing is shuffled.
    /// </summary>
    public static List<int[]> LengthBucketed(IReadOnlyList<int> lengths, int batchSize, ulong seed, bool shuffle = true,
        int chunkBatches = 50, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBatches);
        int n = lengths.Count;
        var rng = new SplitMix64(seed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++)
            order[i] = i;
        if (shuffle)
            rng.Shuffle(order.AsSpan());
        int chunk = shuffle ? (int)Math.Min((long)batchSize * chunkBatches, Math.Max(n, 1)) : Math.Max(n, 1);
        Comparison<int> byLength = (x, y) => lengths[x] != lengths[y] ? lengths[x].CompareTo(lengths[y]) : x.CompareTo(y);
        for (int start = 0; start < n; start += chunk)
            order.AsSpan(start, Math.Min(chunk, n - start)).Sort(byLength);

        var batches = new List<int[]>((n + batchSize - 1) / batchSize);
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            if (count < batchSize && dropLast)
                break;
            batches.Add(order[start..(start + count)]);
        }
        if (shuffle)
            rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }

    /// <summary>Sequential batches 0..n-1 (evaluation order).</summary>
    public static List<int[]> Sequential(int n, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var batches = new List<int[]>();
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            int[] b = new int[count];
            for (int i = 0; i < count; i++)
                b[i] = start + i;
            batches.Add(b);
        }
        return batches;
    }

    /// <summary>
    /// Pads the sequences at <paramref name="indices"/> to the longest of them (capped at
    /// <paramref name="maxLength"/> when positive). Rows are padded at the end; over-long rows lose
    /// their end unless <paramref name="truncating"/> is <see cref="PadSide.Pre"/>. T is at least 1
    /// so an all-empty batch still has a valid shape.
    /// </summary>
    public static PaddedBatch Pad(IReadOnlyList<int[]> sequences, ReadOnlySpan<int> indices, int padId = 0,
        int maxLength = 0, PadSide truncating = PadSide.Post)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        int t = 1;
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)sequences.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Batching.Pad: index {i} is outside [0, {sequences.Count}).");
            t = Math.Max(t, sequences[i].Length);
        }
        if (maxLength > 0)
            t = Math.Min(t, maxLength);
        var ids = new int[indices.Length * t];
        var lengths = new int[indices.Length];
        for (int r = 0; r < indices.Length; r++)
            lengths[r] = Sequences.PadInto(sequences[indices[r]], ids.AsSpan(r * t, t), PadSide.Post, truncating, padId);
        return new PaddedBatch(ids, lengths, t);
    }
}
