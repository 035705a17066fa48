using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
/// Dot products sum each block's exact integer dot times d_a·d_b in block order, so every path gives the same bits.
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
        fixed (byte* pw = w, pa = a)
            return DotRow(format, count / BlockSize, pw, pa, ResolveBlockPath(simd));
    }

    /// <summary>Block dots have a scalar and an AVX2 path; wider requests run the AVX2 one.</summary>
    internal static QuantSimd ResolveBlockPath(QuantSimd simd) =>
        QuantPaths.Resolve(simd) == QuantSimd.Scalar || !Avx2.IsSupported ? QuantSimd.Scalar : QuantSimd.V256;

    internal static float DotRow(BlockFormat format, int blocks, byte* w, byte* a, QuantSimd simd)
    {
        int wb = BlockBytes(format);
        const int ab = 2 + BlockSize;
        float sum = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wBlock = w + (long)b * wb, aBlock = a + (long)b * ab;
            int isum = format == BlockFormat.Q8_0
                ? (simd == QuantSimd.V256 ? DotQ8V256(wBlock + 2, aBlock + 2) : DotQ8Scalar(wBlock + 2, aBlock + 2))
                : (simd == QuantSimd.V256 ? DotQ4V256(wBlock + 2, aBlock + 2) : DotQ4Scalar(wBlock + 2, aBlock + 2));
            sum += isum * (HalfAt(wBlock) * HalfAt(aBlock));
        }
        return sum;
    }

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

    private static float Scale(ReadOnlySpan<byte> block) => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HalfAt(byte* p) => (float)BitConverter.UInt16BitsToHalf((ushort)(p[0] | (p[1] << 8)));

    private static int DotQ8Scalar(byte* w, byte* a)
    {
        int s = 0;
        for (int j = 0; j < BlockSize; j++) s += (sbyte)w[j] * (sbyte)a[j];
        return s;
    }

    private static int DotQ4Scalar(byte* w, byte* a)
    {
        int s = 0;
        for (int j = 0; j < BlockSize / 2; j++)
            s += ((w[j] & 0x0F) - 8) * (sbyte)a[j] + ((w[j] >> 4) - 8) * (sbyte)a[j + BlockSize / 2];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DotQ8V256(byte* w, byte* a)
    {
        var s = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)w)), Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)a)))
              + Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)w + 16)), Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)a + 16)));
        return Vector256.Sum(s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DotQ4V256(byte* w, byte* a)
    {
        var packed = Vector128.Load(w);
        var eight = Vector128.Create((sbyte)8);
        var lo = (packed & Vector128.Create((byte)0x0F)).AsSByte() - eight;  // values 0..15
        var hi = Vector128.ShiftRightLogical(packed, 4).AsSByte() - eight;    // values 16..31
        var s = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(lo), Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)a)))
              + Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(hi), Avx2.ConvertToVector256Int16(Vector128.Load((sbyte*)a + 16)));
        return Vector256.Sum(s);
    }
}
