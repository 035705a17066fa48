namespace TinyLM.Kernels;

/// <summary>
/// A weight matrix W (Rows, Cols) stored row by row in a <see cref="BlockFormat"/> (Cols a multiple of 32).
/// <see cref="Multiply"/> quantizes the activations to Q8_0 per row, as llama.cpp does, and takes block dot
/// products; work is split over blocks of output columns, so threaded results equal serial ones.
/// </summary>
public sealed unsafe class BlockMatrix : IWeightMatrix
{
    private const int ColumnBlock = 16;
    private const long ParallelVolume = 1L << 17;

    private BlockMatrix(BlockFormat format, int rows, int cols, byte[] data)
    {
        Format = format;
        Rows = rows;
        Cols = cols;
        RowBytes = BlockQuant.RowBytes(format, cols);
        Data = data;
    }

    public BlockFormat Format { get; }
    public int Rows { get; }
    public int Cols { get; }
    /// <summary>Bytes per stored row.</summary>
    public int RowBytes { get; }
    /// <summary>(Rows, RowBytes) ggml blocks.</summary>
    public byte[] Data { get; }

    public static BlockMatrix Quantize(BlockFormat format, ReadOnlySpan<float> weights, int rows, int cols)
    {
        if (rows < 0 || weights.Length != (long)rows * cols)
            throw new ArgumentException($"BlockMatrix: {weights.Length} weights given, expected {rows}×{cols}.");
        int rowBytes = BlockQuant.RowBytes(format, cols);
        var data = new byte[(long)rows * rowBytes];
        for (int r = 0; r < rows; r++)
            BlockQuant.Quantize(format, weights.Slice(r * cols, cols), data.AsSpan(r * rowBytes, rowBytes));
        return new BlockMatrix(format, rows, cols, data);
    }

    /// <summary>Wraps stored blocks; checks the size and that every scale is finite.</summary>
    public static BlockMatrix FromBlocks(BlockFormat format, ReadOnlySpan<byte> blocks, int rows, int cols)
    {
        int rowBytes = BlockQuant.RowBytes(format, cols);
        if (rows < 0 || blocks.Length != (long)rows * rowBytes)
            throw new ArgumentException($"BlockMatrix: {blocks.Length} bytes given, {format} {rows}×{cols} needs {(long)rows * rowBytes}.");
        int blockBytes = BlockQuant.BlockBytes(format);
        for (int o = 0; o < blocks.Length; o += blockBytes)
        {
            float d = (float)BitConverter.UInt16BitsToHalf((ushort)(blocks[o] | (blocks[o + 1] << 8)));
            if (!float.IsFinite(d)) throw new ArgumentException($"BlockMatrix: block at byte {o} has scale {d}.");
        }
        return new BlockMatrix(format, rows, cols, blocks.ToArray());
    }

    public float[] Dequantize()
    {
        var result = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
            BlockQuant.Dequantize(Format, Data.AsSpan(r * RowBytes, RowBytes), result.AsSpan(r * Cols, Cols));
        return result;
    }

    public void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y) =>
        Multiply(m, x, bias, y, QuantPaths.Current, Threading.MaxThreads);

    internal void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, QuantSimd simd, int threads)
    {
        WeightMatrixChecks.Check("BlockMatrix.Multiply", m, Rows, Cols, x.Length, bias.Length, y.Length);
        if (m == 0 || Rows == 0) return;
        int aRowBytes = BlockQuant.RowBytes(BlockFormat.Q8_0, Cols);
        var activations = new byte[(long)m * aRowBytes];
        for (int i = 0; i < m; i++)
            BlockQuant.Quantize(BlockFormat.Q8_0, x.Slice(i * Cols, Cols), activations.AsSpan(i * aRowBytes, aRowBytes));
        simd = BlockQuant.ResolveBlockPath(simd);
        int blocks = (Rows + ColumnBlock - 1) / ColumnBlock;
        fixed (float* py = y, pb = bias)
        {
            var job = new Job(this, m, activations, aRowBytes, pb, py, simd);
            if ((long)m * Rows * Cols < ParallelVolume || threads <= 1)
                for (int b = 0; b < blocks; b++) job.Run(b);
            else
                Threading.For(blocks, job, threads);
        }
    }

    private sealed class Job(BlockMatrix w, int m, byte[] activations, int aRowBytes, float* bias, float* y, QuantSimd simd) : ParallelJob
    {
        public override void Run(int index)
        {
            int j0 = index * ColumnBlock, j1 = Math.Min(w.Rows, j0 + ColumnBlock), blocks = w.Cols / BlockQuant.BlockSize;
            fixed (byte* pw = w.Data, pa = activations)
                for (int i = 0; i < m; i++)
                {
                    byte* a = pa + (long)i * aRowBytes;
                    float* yi = y + (long)i * w.Rows;
                    for (int j = j0; j < j1; j++)
                    {
                        float value = BlockQuant.DotRow(w.Format, blocks, pw + (long)j * w.RowBytes, a, simd);
                        yi[j] = bias == null ? value : value + bias[j];
                    }
                }
        }
    }
}
