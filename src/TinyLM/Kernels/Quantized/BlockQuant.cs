using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>llama.cpp's block formats, byte for byte, so GGUF export can carry them unchanged.</summary>
public enum BlockFormat
{
    /// <summary>32 values: f16 scale d, then 32 int8 q; value = q · d.</summary>
    Q8_0,
    /// <summary>32 values: f16 scale d, then 16 bytes; byte j holds value j in its low nibble and value j+16 in its high nibble; value = (q − 8) · d.</summary>
    Q4_0,
}

/// <summary>
/// Quantize, dequantize and dot products for <see cref="BlockFormat"/> rows. Rounding follows ggml's reference
/// quantizers (Q8_0: d = max|x|/127, q = round-half-away(x/d); Q4_0: d = x_maxabs/−8, q = min(15, ⌊x/d + 8.5⌋)).
/// Dot products: see BlockDot (every path gives the same bits).
/// </summary>
public static unsafe class BlockQuant
{
    /// <summary>Values per block.</summary>
    public const int BlockSize = 32;

    /// <summary>Bytes per block of <paramref name="format"/>: 34 (Q8_0) or 18 (Q4_0).</summary>
    public static int BlockBytes(BlockFormat format) => format == BlockFormat.Q8_0 ? 2 + BlockSize : 2 + BlockSize / 2;

    /// <summary>Bytes for <paramref name="count"/> values (a multiple of 32).</summary>
    public static int RowBytes(BlockFormat format, int count)
    {
        if (count < 0 || count % BlockSize != 0)
            throw new ArgumentException($"BlockQuant: {format} rows need a multiple of {BlockSize} values, got {count}.");
        return count / BlockSize * BlockBytes(format);
    }

    /// <summary>Quantizes <paramref name="x"/> (a multiple of 32 values) into <paramref name="dst"/>.</summary>
    public static void Quantize(BlockFormat format, ReadOnlySpan<float> x, Span<byte> dst)
    {
        int bytes = RowBytes(format, x.Length);
        if (dst.Length < bytes) throw new ArgumentException($"BlockQuant.Quantize: {format} of {x.Length} values needs {bytes} bytes, got {dst.Length}.");
        int blockBytes = BlockBytes(format);
        for (int b = 0; b < x.Length / BlockSize; b++)
        {
            var xb = x.Slice(b * BlockSize, BlockSize);
            var db = dst.Slice(b * blockBytes, blockBytes);
            foreach (float v in xb)
                if (!float.IsFinite(v)) throw new ArgumentException($"BlockQuant.Quantize: block {b} holds {v}; only finite values can be quantized.");
            if (format == BlockFormat.Q8_0) QuantizeQ8Block(xb, db);
            else QuantizeQ4Block(xb, db);
        }
    }

    /// <summary>Expands <paramref name="src"/> blocks into <paramref name="x"/> (a multiple of 32 values).</summary>
    public static void Dequantize(BlockFormat format, ReadOnlySpan<byte> src, Span<float> x)
    {
        int bytes = RowBytes(format, x.Length);
        if (src.Length < bytes) throw new ArgumentException($"BlockQuant.Dequantize: {format} of {x.Length} values needs {bytes} bytes, got {src.Length}.");
        int blockBytes = BlockBytes(format);
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
        Dot(format, count, w, a, QuantPaths.Current);

    internal static float Dot(BlockFormat format, int count, ReadOnlySpan<byte> w, ReadOnlySpan<byte> a, QuantSimd simd)
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
        var sums = new int[blocks];
        for (int b = 0; b < blocks; b++)
        {
            var ab = a.Slice(b * (2 + BlockSize), 2 + BlockSize);
            scales[b] = Scale(ab);
            weightScales[b] = Scale(w[(b * BlockBytes(format))..]);
            for (int j = 0; j < BlockSize; j++)
            {
                values[b * BlockSize + j] = (sbyte)ab[2 + j];
                sums[b] += (sbyte)ab[2 + j];
            }
        }
        fixed (byte* pw = w)
        fixed (sbyte* pa = values)
        fixed (float* ps = scales, pws = weightScales)
        fixed (int* pn = sums)
            return BlockDot.Row(format, blocks, pw, pws, pa, ps, pn, ResolveBlockPath(simd));
    }

    /// <summary>Block dots have a scalar and an AVX2 (+FMA) path; wider requests run the AVX2 one.</summary>
    internal static QuantSimd ResolveBlockPath(QuantSimd simd) =>
        QuantPaths.Resolve(simd) == QuantSimd.Scalar || !Avx2.IsSupported || !Fma.IsSupported ? QuantSimd.Scalar : QuantSimd.V256;

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
