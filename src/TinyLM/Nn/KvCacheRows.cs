namespace TinyLM.Nn;

/// <summary>Row reordering of a <see cref="KvCache"/>, for beam search (each beam continues one earlier row).</summary>
public static class KvCacheRows
{
    /// <summary>
    /// Row i of the cache becomes old row <paramref name="rows"/>[i] (rows may repeat); the valid positions move with it.
    /// <paramref name="scratch"/> grows to one cache's size and is reused across calls.
    /// </summary>
    public static void SelectRows(this KvCache cache, ReadOnlySpan<int> rows, ref float[] scratch)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (rows.Length != cache.Batch)
            throw new ArgumentException($"KvCache.SelectRows: {rows.Length} rows for a cache of batch {cache.Batch}.");
        int rowSize = cache.KvHeads * cache.MaxLength * cache.HeadDim;
        if (scratch.Length < rowSize * cache.Batch) scratch = new float[rowSize * cache.Batch];
        Select(cache.Keys, rows, rowSize, scratch);
        Select(cache.Values, rows, rowSize, scratch);
    }

    private static void Select(float[] buffer, ReadOnlySpan<int> rows, int rowSize, float[] scratch)
    {
        int n = rows.Length;
        buffer.AsSpan(0, n * rowSize).CopyTo(scratch);
        for (int i = 0; i < n; i++)
        {
            if ((uint)rows[i] >= (uint)n)
                throw new ArgumentOutOfRangeException(nameof(rows), $"KvCache.SelectRows: row {rows[i]} is not in [0, {n}).");
            if (rows[i] != i) scratch.AsSpan(rows[i] * rowSize, rowSize).CopyTo(buffer.AsSpan(i * rowSize, rowSize));
        }
    }
}
