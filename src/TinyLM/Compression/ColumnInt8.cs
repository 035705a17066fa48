namespace TinyLM.Compression;

/// <summary>
/// Symmetric int8 with one scale per column, for tall narrow tables such as the linear SVM head's weight
/// (ids × classes): a per-row scale would cost as much as two of the row's values, one per class column costs
/// nothing, and a class's score sums many of its column's weights, so each column's own range is what matters.
/// Scales are max|column| / 127 rounded up to the next float16 value (q stays within [−127, 127]) when that is in
/// float16's normal range, else the exact float32 scale; the values are quantized against the scale that is stored.
/// </summary>
public sealed class ColumnInt8
{
    private ColumnInt8(sbyte[] values, float[] scales, int rows, int cols)
    {
        Values = values;
        Scales = scales;
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }
    public int Cols { get; }
    /// <summary>(Rows, Cols) row-major.</summary>
    public sbyte[] Values { get; }
    /// <summary>(Cols): value = q · scale of its column.</summary>
    public float[] Scales { get; }

    /// <summary>Quantizes a row-major (rows, cols) matrix.</summary>
    public static ColumnInt8 Quantize(ReadOnlySpan<float> weights, int rows, int cols)
    {
        Check(weights.Length, rows, cols, "weights");
        var max = new float[cols];
        for (int i = 0; i < weights.Length; i++)
        {
            float v = weights[i];
            if (!float.IsFinite(v))
                throw new ArgumentException($"ColumnInt8.Quantize: value {v} at ({i / cols}, {i % cols}) is not finite.", nameof(weights));
            int c = i % cols;
            max[c] = Math.Max(max[c], Math.Abs(v));
        }
        var exact = new float[cols];
        var half = new float[cols];
        bool allHalf = true;
        for (int c = 0; c < cols; c++)
        {
            exact[c] = max[c] / 127f;
            allHalf &= HalfScaleInt8.TryRoundUp(exact[c], out half[c]);
        }
        var scales = allHalf ? half : exact;
        var values = new sbyte[weights.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            float s = scales[i % cols];
            if (s != 0f) values[i] = (sbyte)Math.Clamp(MathF.Round(weights[i] / s), -127f, 127f);
        }
        return new ColumnInt8(values, scales, rows, cols);
    }

    /// <summary>Wraps stored values and scales; every size is checked.</summary>
    public static ColumnInt8 FromQuantized(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, int rows, int cols)
    {
        Check(values.Length, rows, cols, "values");
        if (scales.Length != cols)
            throw new ArgumentException($"ColumnInt8: {scales.Length} scales for {cols} columns.", nameof(scales));
        foreach (float s in scales)
            if (!float.IsFinite(s) || s < 0f)
                throw new ArgumentException($"ColumnInt8: scale {s} is not a finite non-negative number.", nameof(scales));
        return new ColumnInt8(values.ToArray(), scales.ToArray(), rows, cols);
    }

    /// <summary>The weights as float32 (Rows, Cols) into <paramref name="into"/>.</summary>
    public void Dequantize(Span<float> into)
    {
        if (into.Length != Values.Length)
            throw new ArgumentException($"ColumnInt8.Dequantize: destination holds {into.Length} values, the table {Rows} × {Cols}.", nameof(into));
        for (int i = 0; i < Values.Length; i++) into[i] = Values[i] * Scales[i % Cols];
    }

    /// <summary>Whether the scales are exact float16 values (then files store them as F16).</summary>
    public bool HasHalfScales => HalfPrecision.IsExact(Scales);

    /// <summary>Elements that are 0 (a file stores the table sparsely when that is smaller).</summary>
    public int Zeros
    {
        get
        {
            int zeros = 0;
            foreach (sbyte q in Values)
                if (q == 0) zeros++;
            return zeros;
        }
    }

    private static void Check(int length, int rows, int cols, string what)
    {
        if (rows < 0 || cols < 1 || (long)rows * cols != length)
            throw new ArgumentException($"ColumnInt8: {length} {what} for a ({rows}, {cols}) table.");
    }
}
