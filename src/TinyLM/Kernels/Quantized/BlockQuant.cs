using System.Buffers.Binary;

namespace TinyLM.Kernels;

/// <summary>llama.cpp's block formats, byte for byte, so GGUF export can carry them unchanged.</summary>
public enum BlockFormat
{
    /// <summary>32 values: f16 scale d, then 32 int8 q; value = q · d.</summary>
    Q8_0,
    /// <summary>32 values: f16 scale d, then 16 bytes; byte j holds value j in its low nibble and value j+16 in its high nibble; value = (q − 8) · d.</summary>
    Q4_0,
    /// <summary>256-value super-blocks of 8 sub-blocks of 32 (144 bytes): f16 d and dmin, 6-bit scales and mins, 4-bit q; value = d·sc·q − dmin·m (see Q4KQuant).</summary>
    Q4_K,
}

/// <summary>
/// Quantize, dequantize and dot products for <see cref="BlockFormat"/> rows. Rounding follows ggml's reference
/// quantizers (Q8_0: d = max|x|/127, q = round-half-away(x/d); Q4_0: d = x_maxabs/−8, q = min(15, ⌊x/d + 8.5⌋));
/// Q4_K fits each sub-block's scale and min by least squares (<see cref="Q4KQuant"/>).
/// Dot products: see BlockDot (every path gives the same bits).
/// </summary>
public static unsafe class BlockQuant
{
    /// <summary>Values per block (per sub-block for Q4_K): the granularity of activation scales.</summary>
    public const int BlockSize = 32;

    /// <summary>Values per Q4_K super-block.</summary>
    public const int SuperBlockSize = Q4KQuant.Values;

    /// <summary>Bytes per stored block of <paramref name="format"/>: 34 (Q8_0), 18 (Q4_0) or 144 (a Q4_K super-block).</summary>
    public static int BlockBytes(BlockFormat format) => format switch
    {
        BlockFormat.Q8_0 => 2 + BlockSize,
        BlockFormat.Q4_0 => 2 + BlockSize / 2,
        _ => Q4KQuant.Bytes,
    };

    /// <summary>Values per stored block: 32, or 256 for Q4_K.</summary>
    public static int BlockValues(BlockFormat format) => format == BlockFormat.Q4_K ? SuperBlockSize : BlockSize;

    /// <summary>Bytes for <paramref name="count"/> values (a multiple of <see cref="BlockValues"/>).</summary>
    public static int RowBytes(BlockFormat format, int count)
    {
        int n = BlockValues(format);
        if (count < 0 || count % n != 0)
            throw new ArgumentException($"BlockQuant: {format} rows need a multiple of {n} values, got {count}.");
        return count / n * BlockBytes(format);
    }

    /// <summary>
    /// The float scale of every 32-value (sub-)block of a row of <paramref name="count"/> values and, for Q4_K, the
    /// offset subtracted from it (zero for Q8_0 and Q4_0, whose −8 the kernels handle themselves).
    /// </summary>
    internal static void SubScales(BlockFormat format, ReadOnlySpan<byte> row, int count, Span<float> scales, Span<float> mins)
    {
        int blockBytes = BlockBytes(format);
        if (format == BlockFormat.Q4_K)
        {
            for (int s = 0; s < count / SuperBlockSize; s++)
                Q4KQuant.SubScales(row.Slice(s * blockBytes, blockBytes), scales.Slice(s * Q4KQuant.SubBlocks, Q4KQuant.SubBlocks),
                    mins.Slice(s * Q4KQuant.SubBlocks, Q4KQuant.SubBlocks));
            return;
        }
        for (int b = 0; b < count / BlockSize; b++)
        {
            scales[b] = Scale(row[(b * blockBytes)..]);
            mins[b] = 0f;
        }
    }

    /// <summary>Quantizes <paramref name="x"/> (a multiple of <see cref="BlockValues"/>) into <paramref name="dst"/>.</summary>
    public static void Quantize(BlockFormat format, ReadOnlySpan<float> x, Span<byte> dst)
    {
        int bytes = RowBytes(format, x.Length);
        if (dst.Length < bytes) throw new ArgumentException($"BlockQuant.Quantize: {format} of {x.Length} values needs {bytes} bytes, got {dst.Length}.");
        int blockBytes = BlockBytes(format), n = BlockValues(format);
        for (int b = 0; b < x.Length / n; b++)
        {
            var xb = x.Slice(b * n, n);
            var db = dst.Slice(b * blockBytes, blockBytes);
            foreach (float v in xb)
                if (!float.IsFinite(v)) throw new ArgumentException($"BlockQuant.Quantize: block {b} holds {v}; only finite values can be quantized.");
            if (format == BlockFormat.Q8_0) QuantizeQ8Block(xb, db);
            else if (format == BlockFormat.Q4_0) QuantizeQ4Block(xb, db);
            else Q4KQuant.QuantizeBlock(xb, db);
        }
    }

    /// <summary>Expands <paramref name="src"/> blocks into <paramref name="x"/> (a multiple of <see cref="BlockValues"/>).</summary>
    public static void Dequantize(BlockFormat format, ReadOnlySpan<byte> src, Span<float> x)
    {
        int bytes = RowBytes(format, x.Length);
        if (src.Length < bytes) throw new ArgumentException($"BlockQuant.Dequantize: {format} of {x.Length} values needs {bytes} bytes, got {src.Length}.");
        int blockBytes = BlockBytes(format);
        if (format == BlockFormat.Q4_K)
        {
            for (int b = 0; b < x.Length / SuperBlockSize; b++)
                Q4KQuant.DequantizeBlock(src.Slice(b * blockBytes, blockBytes), x.Slice(b * SuperBlockSize, SuperBlockSize));
            return;
        }
        for (int b = 0; b < x.Length / BlockSize; b++)
        {
            var sb = src.Slice(b * blockBytes, blockBytes);
            var xb = x.Slice(b * BlockSize, BlockSize);
            float d = Scale(sb);
            if (format == BlockFormat.Q8_0)
                for (int j = 0; j < BlockSize; j++) xb[j] = (sbyte)sb[2 + j] * d;
            else
                for (int j = 0; j < BlockSize / 2; j++)
                {
                    xb[j] = ((sb[2 + j] & 0x0F) - 8) * d;
                    xb[j + BlockSize / 2] = ((sb[2 + j] >> 4) - 8) * d;
                }
        }
    }

    /// <summary>Σ w·a over <paramref name="count"/> values: <paramref name="w"/> in <paramref name="format"/>, <paramref name="a"/> in Q8_0.</summary>
    public static float Dot(BlockFormat format, int count, ReadOnlySpan<byte> w, ReadOnlySpan<byte> a) =>
        Dot(format, count, w, a, Simd.Level);

    internal static float Dot(BlockFormat format, int count, ReadOnlySpan<byte> w, ReadOnlySpan<byte> a, SimdLevel simd)
    {
        int wBytes = RowBytes(format, count), aBytes = RowBytes(BlockFormat.Q8_0, count);
        if (w.Length < wBytes || a.Length < aBytes)
            throw new ArgumentException($"BlockQuant.Dot: {count} values need {wBytes} {format} and {aBytes} Q8_0 bytes, got {w.Length} and {a.Length}.");
        if (count == 0) return 0f;
        // The kernels take activations as separate values, scales and sums; unpack the Q8_0 blocks into that form.
        int blocks = count / BlockSize;
        var values = new sbyte[count];
        var scales = new float[blocks];
        var weightScales = new float[blocks];
        var weightMins = new float[blocks];
        var sums = new int[blocks];
        SubScales(format, w, count, weightScales, weightMins);
        for (int b = 0; b < blocks; b++)
        {
            var ab = a.Slice(b * (2 + BlockSize), 2 + BlockSize);
            scales[b] = Scale(ab);
            for (int j = 0; j < BlockSize; j++)
            {
                values[b * BlockSize + j] = (sbyte)ab[2 + j];
                sums[b] += (sbyte)ab[2 + j];
            }
        }
        fixed (byte* pw = w)
        fixed (sbyte* pa = values)
        fixed (float* ps = scales, pws = weightScales, pwm = weightMins)
        fixed (int* pn = sums)
            return BlockDot.Row(format, blocks, pw, pws, pwm, pa, ps, pn, BlockLevel(simd));
    }

    /// <summary>Block dots have scalar, Vector128 and Vector256 paths; V512 requests run the Vector256 one.</summary>
    internal static SimdLevel BlockLevel(SimdLevel simd) => (SimdLevel)Math.Min((int)Simd.Clamp(simd), (int)SimdLevel.V256);

    /// <summary>The float scale of the block starting at <paramref name="block"/>.</summary>
    internal static float Scale(ReadOnlySpan<byte> block) => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(block));

    private static void QuantizeQ8Block(ReadOnlySpan<float> x, Span<byte> dst)
    {
        float amax = 0f;
        foreach (float v in x) amax = Math.Max(amax, Math.Abs(v));
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        WriteScale(dst, d);
        for (int j = 0; j < BlockSize; j++)
            dst[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    private static void QuantizeQ4Block(ReadOnlySpan<float> x, Span<byte> dst)
    {
        // The signed value of largest magnitude maps to −8 exactly, so the asymmetric range [−8, 7] is used fully.
        float amax = 0f, max = 0f;
        foreach (float v in x)
            if (amax < Math.Abs(v))
            {
                amax = Math.Abs(v);
                max = v;
            }
        float d = max / -8f;
        float id = d != 0f ? 1f / d : 0f;
        WriteScale(dst, d);
        for (int j = 0; j < BlockSize / 2; j++)
        {
            int lo = Math.Min(15, (int)(sbyte)(x[j] * id + 8.5f));
            int hi = Math.Min(15, (int)(sbyte)(x[j + BlockSize / 2] * id + 8.5f));
            dst[2 + j] = (byte)(lo | (hi << 4));
        }
    }

    private static void WriteScale(Span<byte> block, float d) =>
        BinaryPrimitives.WriteUInt16LittleEndian(block, BitConverter.HalfToUInt16Bits((Half)d));
}
