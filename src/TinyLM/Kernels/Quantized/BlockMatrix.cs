namespace TinyLM.Kernels;

/// <summary>
/// A weight matrix W (Rows, Cols) stored row by row in a <see cref="BlockFormat"/> (Cols a multiple of 32, of 256 for
/// Q4_K), byte for byte as ggml stores it, plus the scales (and Q4_K's mins) of every 32-value (sub-)block as float
/// (so the kernels skip an f16 conversion and Q4_K's 6-bit unpacking per block).
/// <see cref="Multiply"/> quantizes the activations to Q8_0 per row, as llama.cpp does, and takes block dot
/// products (<see cref="BlockDot"/>); work is split over blocks of output rows, so threaded results equal serial ones.
/// </summary>
public sealed unsafe class BlockMatrix : IWeightMatrix
{
    [ThreadStatic] private static BlockActivations? _scratch;

    private readonly float[] _scales, _mins;

    private BlockMatrix(BlockFormat format, int rows, int cols, byte[] data)
    {
        Format = format;
        Rows = rows;
        Cols = cols;
        RowBytes = BlockQuant.RowBytes(format, cols);
        // Pinned: the kernels hold raw pointers across a parallel dispatch.
        Data = GC.AllocateArray<byte>(data.Length, pinned: true);
        data.CopyTo(Data, 0);
        int blocks = cols / BlockQuant.BlockSize;
        _scales = GC.AllocateArray<float>(Math.Max(1, rows * blocks), pinned: true);
        _mins = GC.AllocateArray<float>(Math.Max(1, rows * blocks), pinned: true);
        for (int r = 0; r < rows; r++)
            BlockQuant.SubScales(format, Data.AsSpan(r * RowBytes, RowBytes), cols, _scales.AsSpan(r * blocks, blocks), _mins.AsSpan(r * blocks, blocks));
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
            // Q4_K's dmin follows d.
            float d = BlockQuant.Scale(blocks[o..]), dmin = format == BlockFormat.Q4_K ? BlockQuant.Scale(blocks[(o + 2)..]) : 0f;
            if (!float.IsFinite(d) || !float.IsFinite(dmin)) throw new ArgumentException($"BlockMatrix: block at byte {o} has scale {d} (min scale {dmin}).");
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
        Multiply(m, x, bias, y, Simd.Level, Threading.MaxThreads);

    internal void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, SimdLevel simd, int threads)
    {
        WeightMatrixChecks.Check("BlockMatrix.Multiply", m, Rows, Cols, x.Length, bias.Length, y.Length);
        if (m == 0 || Rows == 0) return;
        var activations = _scratch ??= new BlockActivations();
        activations.Quantize(m, x, Cols, simd);
        fixed (float* py = y, pb = bias)
        {
            ReadOnlySpan<BlockProduct> one = [new BlockProduct(this, pb, py)];
            BlockGemv.MultiplyMany(activations, one, simd, threads);
        }
    }

    internal float* ScalesOf(int row)
    {
        fixed (float* p = _scales) return p + (long)row * (Cols / BlockQuant.BlockSize);
    }

    internal float* MinsOf(int row)
    {
        fixed (float* p = _mins) return p + (long)row * (Cols / BlockQuant.BlockSize);
    }

    internal byte* RowOf(int row)
    {
        fixed (byte* p = Data) return p + (long)row * RowBytes;
    }
}
