namespace TinyLM.Text;

/// <summary>Which end of a sequence padding is added to, or truncation removes from.</summary>
public enum PadSide
{
    /// <summary>At the start (Keras default for both padding and truncation).</summary>
    Pre,

    /// <summary>At the end.</summary>
    Post,
}

/// <summary>Keras-style <c>pad_sequences</c>: fixed-length rows from variable-length id sequences.</summary>
public static class Sequences
{
    /// <summary>
    /// Pads or truncates every sequence to <paramref name="maxLength"/> and returns the rows
    /// row-major, shape (N, maxLength).
    /// </summary>
    public static int[] Pad(IReadOnlyList<int[]> sequences, int maxLength, PadSide padding = PadSide.Pre,
        PadSide truncating = PadSide.Pre, int value = 0)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        var result = new int[sequences.Count * maxLength];
        for (int i = 0; i < sequences.Count; i++)
            PadInto(sequences[i], result.AsSpan(i * maxLength, maxLength), padding, truncating, value);
        return result;
    }

    /// <summary>One sequence padded or truncated to <paramref name="maxLength"/>.</summary>
    public static int[] Pad(ReadOnlySpan<int> sequence, int maxLength, PadSide padding = PadSide.Pre,
        PadSide truncating = PadSide.Pre, int value = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        var row = new int[maxLength];
        PadInto(sequence, row, padding, truncating, value);
        return row;
    }

    /// <summary>Keeps at most <paramref name="maxLength"/> ids, dropping from the given side.</summary>
    public static ReadOnlySpan<int> Truncate(ReadOnlySpan<int> sequence, int maxLength, PadSide truncating = PadSide.Pre)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        if (sequence.Length <= maxLength)
            return sequence;
        return truncating == PadSide.Pre ? sequence[(sequence.Length - maxLength)..] : sequence[..maxLength];
    }

    /// <summary>Writes the sequence into <paramref name="row"/> (whose length is the target length).</summary>
    public static int PadInto(ReadOnlySpan<int> sequence, Span<int> row, PadSide padding, PadSide truncating, int value)
    {
        ReadOnlySpan<int> kept = Truncate(sequence, row.Length, truncating);
        row.Fill(value);
        kept.CopyTo(padding == PadSide.Pre ? row[(row.Length - kept.Length)..] : row);
        return kept.Length;
    }
}
