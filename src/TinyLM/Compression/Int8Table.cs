using TinyLM.Kernels;

namespace TinyLM.Compression;

/// <summary>
/// Symmetric int8 for tall narrow tables such as the linear SVM head's weight (ids × classes), with one scale per row
/// or one per column. A per-row scale keeps each id's weights to 1/254 of their own range (margins change by ~0.1%)
/// but costs as much as two of the row's values; one scale per class column costs nothing, yet the many small
/// weights of rare ids then round to 0 (margins change by ~1%). Scales are max|row or column| / 127 rounded up to
/// the next float16 value (q stays within [−127, 127]) when every one is in float16's normal range, else the exact
/// float32 scales; the values are quantized against the scale that is stored. Memory holds exactly Rows × Cols
/// values (no row padding: the table is dequantized for use, not multiplied in int8). As an <see cref="IWeightMatrix"/>
/// it is a weight format a module can hold (the SVM head's); its multiply runs on the dequantized values.
/// </summary>
public sealed class Int8Table : IWeightMatrix
{
    private Int8Table(sbyte[] values, float[] scales, int rows, int cols, bool perColumn)
    {
        Values = values;
        Scales = scales;
        Rows = rows;
        Cols = cols;
        PerColumn = perColumn;
    }

    public int Rows { get; }
    public int Cols { get; }
    /// <summary>One scale per column (true) or per row (false).</summary>
    public bool PerColumn { get; }
    /// <summary>(Rows, Cols) row-major.</summary>
    public sbyte[] Values { get; }
    /// <summary>(Cols) or (Rows): value = q · scale of its column or row.</summary>
    public float[] Scales { get; }

    /// <summary>The most levels either side of 0 a value may take: 127 (8 bits).</summary>
    public const int MaxLevels = 127;

    /// <summary>
    /// Quantizes a row-major (rows, cols) matrix to integers in [−<paramref name="levels"/>, <paramref name="levels"/>]
    /// times its scale: 127 for int8, 7 for the 15 values of a 4-bit code (stored in int8 lanes, which a deflated file
    /// (IO.DeflatedTensors) stores in about their entropy).
    /// </summary>
    public static Int8Table Quantize(ReadOnlySpan<float> weights, int rows, int cols, bool perColumn, int levels = MaxLevels)
    {
        Check(weights.Length, rows, cols, "weights");
        if (levels is < 1 or > MaxLevels)
            throw new ArgumentOutOfRangeException(nameof(levels), $"Int8Table.Quantize: levels must be in [1, {MaxLevels}], got {levels}.");
        var max = new float[perColumn ? cols : rows];
        for (int i = 0; i < weights.Length; i++)
        {
            float v = weights[i];
            if (!float.IsFinite(v))
                throw new ArgumentException($"Int8Table.Quantize: value {v} at ({i / cols}, {i % cols}) is not finite.", nameof(weights));
            int k = perColumn ? i % cols : i / cols;
            max[k] = Math.Max(max[k], Math.Abs(v));
        }
        var exact = new float[max.Length];
        var half = new float[max.Length];
        bool allHalf = true;
        for (int k = 0; k < max.Length; k++)
        {
            exact[k] = max[k] / levels;
            allHalf &= HalfScaleInt8.TryRoundUp(exact[k], out half[k]);
        }
        var scales = allHalf ? half : exact;
        var values = new sbyte[weights.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            float s = scales[perColumn ? i % cols : i / cols];
            if (s != 0f) values[i] = (sbyte)Math.Clamp(MathF.Round(weights[i] / s), -levels, levels);
        }
        return new Int8Table(values, scales, rows, cols, perColumn);
    }

    /// <summary>Wraps stored values and scales; every size is checked.</summary>
    public static Int8Table FromQuantized(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, int rows, int cols, bool perColumn)
    {
        Check(values.Length, rows, cols, "values");
        if (scales.Length != (perColumn ? cols : rows))
            throw new ArgumentException($"Int8Table: {scales.Length} scales for {(perColumn ? $"{cols} columns" : $"{rows} rows")}.", nameof(scales));
        foreach (float s in scales)
            if (!float.IsFinite(s) || s < 0f)
                throw new ArgumentException($"Int8Table: scale {s} is not a finite non-negative number.", nameof(scales));
        return new Int8Table(values.ToArray(), scales.ToArray(), rows, cols, perColumn);
    }

    /// <summary>The weights as float32 (Rows, Cols) into <paramref name="into"/>.</summary>
    public void Dequantize(Span<float> into)
    {
        if (into.Length != Values.Length)
            throw new ArgumentException($"Int8Table.Dequantize: destination holds {into.Length} values, the table {Rows} × {Cols}.", nameof(into));
        if (PerColumn)
            for (int i = 0; i < Values.Length; i++) into[i] = Values[i] * Scales[i % Cols];
        else
            for (int r = 0; r < Rows; r++)
            {
                float s = Scales[r];
                for (int i = r * Cols; i < (r + 1) * Cols; i++) into[i] = Values[i] * s;
            }
    }

    /// <summary>y (m, Rows) = x (m, Cols) · Wᵀ + bias, on the dequantized values (the table is not a hot path).</summary>
    public void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y)
    {
        var weights = new float[Values.Length];
        Dequantize(weights);
        new FloatMatrix(weights, Rows, Cols).Multiply(m, x, bias, y);
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
            throw new ArgumentException($"Int8Table: {length} {what} for a ({rows}, {cols}) table.");
    }
}
