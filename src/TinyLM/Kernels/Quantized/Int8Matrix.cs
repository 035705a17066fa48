namespace TinyLM.Kernels;

/// <summary>
/// A weight matrix W (Rows, Cols) stored as symmetric int8 per output row: W[r, c] ≈ Data[r, c] · Scales[r],
/// with Scales[r] = max|W[r, :]| / 127. Rows are zero-padded to <see cref="Stride"/> (a multiple of 64) so the
/// kernels never need a tail. The vector kernels read W repacked as int16 panels (built once, on first use):
/// each panel holds <c>width</c> consecutive rows, and for every pair of columns (k, k+1) the 2·width values
/// w[j0, k], w[j0, k+1], w[j0+1, k], … so that one pmaddwd against a broadcast activation pair yields width outputs.
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
    }

    private short[]? _panels4;
    private short[]? _panels8;
    private short[]? _panels16;

    public int Rows { get; }
    public int Cols { get; }
    /// <summary>Elements between row starts in <see cref="Data"/>.</summary>
    public int Stride { get; }
    /// <summary>(Rows, Stride) int8 values, zero past Cols.</summary>
    public sbyte[] Data { get; }
    /// <summary>(Rows) dequantization scale per row.</summary>
    public float[] Scales { get; }
    /// <summary>The int16 panels of <paramref name="width"/> (4, 8 or 16) rows; rows past <see cref="Rows"/> are zero.</summary>
    internal short[] Panels(int width)
    {
        ref short[]? cache = ref width == 4 ? ref _panels4 : ref width == 8 ? ref _panels8 : ref _panels16;
        if (cache is not null) return cache;
        int panels = (Rows + width - 1) / width, pairs = Stride / 2;
        var packed = new short[(long)panels * pairs * width * 2];
        for (int r = 0; r < Rows; r++)
        {
            int p = r / width, j = r % width;
            for (int kk = 0; kk < pairs; kk++)
            {
                long o = (((long)p * pairs + kk) * width + j) * 2;
                packed[o] = Data[(long)r * Stride + 2 * kk];
                packed[o + 1] = Data[(long)r * Stride + 2 * kk + 1];
            }
        }
        return cache = packed;
    }

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
