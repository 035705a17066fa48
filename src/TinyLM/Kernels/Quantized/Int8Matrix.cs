namespace TinyLM.Kernels;

/// <summary>
/// A weight matrix W (Rows, Cols) stored as symmetric int8 per output row: W[r, c] ≈ Data[r, c] · Scales[r],
/// with Scales[r] = max|W[r, :]| / 127. Rows are zero-padded to <see cref="Stride"/> (a multiple of 64) so the
/// dot-product loops never need a tail, and each row's sum is kept for the unsigned×signed VNNI trick.
/// </summary>
public sealed class Int8Matrix : IWeightMatrix
{
    /// <summary>Row padding: the widest vector step (64 int8 lanes).</summary>
    public const int Alignment = 64;

    private Int8Matrix(int rows, int cols, sbyte[] data, float[] scales)
    {
        Rows = rows;
        Cols = cols;
        Stride = PaddedLength(cols);
        Data = data;
        Scales = scales;
        RowSums = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            int sum = 0;
            foreach (sbyte v in data.AsSpan(r * Stride, cols)) sum += v;
            RowSums[r] = sum;
        }
    }

    public int Rows { get; }
    public int Cols { get; }
    /// <summary>Elements between row starts in <see cref="Data"/>.</summary>
    public int Stride { get; }
    /// <summary>(Rows, Stride) int8 values, zero past Cols.</summary>
    public sbyte[] Data { get; }
    /// <summary>(Rows) dequantization scale per row.</summary>
    public float[] Scales { get; }
    /// <summary>(Rows) Σ_c Data[r, c].</summary>
    public int[] RowSums { get; }

    public static int PaddedLength(int cols) => (cols + Alignment - 1) / Alignment * Alignment;

    /// <summary>Quantizes a row-major float matrix.</summary>
    public static Int8Matrix Quantize(ReadOnlySpan<float> weights, int rows, int cols)
    {
        Check(rows, cols, weights.Length, "weights");
        int stride = PaddedLength(cols);
        var data = new sbyte[(long)rows * stride];
        var scales = new float[rows];
        Int8Quantizer.QuantizeRows(rows, cols, weights, cols, data, stride, scales);
        return new Int8Matrix(rows, cols, data, scales);
    }

    /// <summary>Wraps stored int8 values (Rows, Cols) with their per-row scales.</summary>
    public static Int8Matrix FromQuantized(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, int rows, int cols)
    {
        Check(rows, cols, values.Length, "values");
        if (scales.Length != rows)
            throw new ArgumentException($"Int8Matrix: {scales.Length} scales given for {rows} rows.");
        for (int r = 0; r < rows; r++)
            if (!float.IsFinite(scales[r]) || scales[r] < 0)
                throw new ArgumentException($"Int8Matrix: scale of row {r} is {scales[r]}, expected a finite non-negative number.");
        int stride = PaddedLength(cols);
        var data = new sbyte[(long)rows * stride];
        for (int r = 0; r < rows; r++) values.Slice(r * cols, cols).CopyTo(data.AsSpan(r * stride, cols));
        return new Int8Matrix(rows, cols, data, scales.ToArray());
    }

    /// <summary>The int8 values without padding, (Rows, Cols).</summary>
    public sbyte[] Values()
    {
        var result = new sbyte[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++) Data.AsSpan(r * Stride, Cols).CopyTo(result.AsSpan(r * Cols, Cols));
        return result;
    }

    /// <summary>W as floats, (Rows, Cols).</summary>
    public float[] Dequantize()
    {
        var result = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
                result[r * Cols + c] = Data[r * Stride + c] * Scales[r];
        return result;
    }

    public void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y) =>
        Int8Gemm.Multiply(m, x, this, bias, y);

    private static void Check(int rows, int cols, int length, string what)
    {
        if (rows < 0 || cols < 0 || length != (long)rows * cols)
            throw new ArgumentException($"Int8Matrix: {what} holds {length} elements, expected {rows}×{cols}.");
    }
}
