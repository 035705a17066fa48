namespace TinyLM.Compression;

/// <summary>
/// Float32 values held at float16 precision: a quantized model rounds some float parameters (naive Bayes tables)
/// to float16 values, and its file then stores every parameter whose values are all exact float16 values as F16,
/// losslessly.
/// </summary>
public static class HalfPrecision
{
    /// <summary>
    /// Writes <paramref name="source"/> rounded to the nearest float16 values into <paramref name="destination"/>;
    /// false (and nothing written) when a value is not finite or beyond float16's range.
    /// </summary>
    public static bool TryRound(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"HalfPrecision.TryRound: destination holds {destination.Length} values, source {source.Length}.", nameof(destination));
        foreach (float v in source)
            if (!float.IsFinite(v) || Math.Abs(v) > (float)Half.MaxValue) return false;
        for (int i = 0; i < source.Length; i++) destination[i] = (float)(Half)source[i];
        return true;
    }

    /// <summary>Whether every value is exactly a float16 value (so F16 storage loses nothing).</summary>
    public static bool IsExact(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if ((float)(Half)v != v) return false;
        return true;
    }
}
