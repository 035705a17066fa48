using System.Buffers.Binary;

namespace TinyLM.IO;

/// <summary>Conversions between float32 and the ggml storage types (f16, q8_0, q4_0, q4_k), byte-compatible with ggml.</summary>
public static class GgmlQuant
{
    /// <summary>Values per q8_0 block.</summary>
    public const int Q8BlockSize = 32;

    /// <summary>Bytes per q8_0 block: an f16 scale then 32 int8.</summary>
    public const int Q8BlockBytes = 2 + Q8BlockSize;

    /// <summary>Bytes that <paramref name="count"/> values take as <paramref name="type"/>.</summary>
    public static long ByteCount(GgmlType type, long count) => type switch
    {
        GgmlType.F32 => 4 * count,
        GgmlType.F16 => 2 * count,
        GgmlType.Q8_0 => count % Q8BlockSize == 0
            ? count / Q8BlockSize * Q8BlockBytes
            : throw new ArgumentException($"q8_0: {count} values is not a multiple of the block size {Q8BlockSize}."),
        GgmlType.Q4_0 => count % Q8BlockSize == 0
            ? count / Q8BlockSize * Kernels.BlockQuant.BlockBytes(Kernels.BlockFormat.Q4_0)
            : throw new ArgumentException($"q4_0: {count} values is not a multiple of the block size {Q8BlockSize}."),
        GgmlType.Q4_K => count % Kernels.BlockQuant.SuperBlockSize == 0
            ? count / Kernels.BlockQuant.SuperBlockSize * Kernels.BlockQuant.BlockBytes(Kernels.BlockFormat.Q4_K)
            : throw new ArgumentException($"q4_k: {count} values is not a multiple of the super-block size {Kernels.BlockQuant.SuperBlockSize}."),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported ggml type"),
    };

    /// <summary>Encodes <paramref name="values"/> as <paramref name="type"/> into <paramref name="destination"/> (exactly <see cref="ByteCount"/> bytes).</summary>
    public static void Encode(GgmlType type, ReadOnlySpan<float> values, Span<byte> destination)
    {
        long need = ByteCount(type, values.Length);
        if (destination.Length != need)
            throw new ArgumentException($"GgmlQuant.Encode({type}): {values.Length} values need {need} bytes, destination has {destination.Length}.");
        switch (type)
        {
            case GgmlType.F32:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(destination);
                break;
            case GgmlType.F16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(destination[(2 * i)..], (Half)values[i]);
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < values.Length / Q8BlockSize; b++)
                    EncodeQ8Block(values.Slice(b * Q8BlockSize, Q8BlockSize), destination.Slice(b * Q8BlockBytes, Q8BlockBytes));
                break;
            case GgmlType.Q4_0:
                Kernels.BlockQuant.Quantize(Kernels.BlockFormat.Q4_0, values, destination);
                break;
            case GgmlType.Q4_K:
                Kernels.BlockQuant.Quantize(Kernels.BlockFormat.Q4_K, values, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported ggml type");
        }
    }

    /// <summary>Decodes <paramref name="source"/> of <paramref name="type"/> into <paramref name="values"/>.</summary>
    public static void Decode(GgmlType type, ReadOnlySpan<byte> source, Span<float> values)
    {
        long need = ByteCount(type, values.Length);
        if (source.Length != need)
            throw new ArgumentException($"GgmlQuant.Decode({type}): {values.Length} values need {need} bytes, source has {source.Length}.");
        switch (type)
        {
            case GgmlType.F32:
                source.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
                break;
            case GgmlType.F16:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < values.Length / Q8BlockSize; b++)
                {
                    ReadOnlySpan<byte> block = source.Slice(b * Q8BlockBytes, Q8BlockBytes);
                    float d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
                    for (int i = 0; i < Q8BlockSize; i++) values[b * Q8BlockSize + i] = d * (sbyte)block[2 + i];
                }
                break;
            case GgmlType.Q4_0:
                Kernels.BlockQuant.Dequantize(Kernels.BlockFormat.Q4_0, source, values);
                break;
            case GgmlType.Q4_K:
                Kernels.BlockQuant.Dequantize(Kernels.BlockFormat.Q4_K, source, values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported ggml type");
        }
    }

    /// <summary>The ggml type that stores <paramref name="format"/> blocks.</summary>
    public static GgmlType TypeOf(Kernels.BlockFormat format) => format switch
    {
        Kernels.BlockFormat.Q8_0 => GgmlType.Q8_0,
        Kernels.BlockFormat.Q4_0 => GgmlType.Q4_0,
        _ => GgmlType.Q4_K,
    };

    /// <summary>Values per block of a ggml type (1 for f32/f16).</summary>
    public static int BlockValues(GgmlType type) => type switch
    {
        GgmlType.Q8_0 or GgmlType.Q4_0 => Q8BlockSize,
        GgmlType.Q4_K => Kernels.BlockQuant.SuperBlockSize,
        _ => 1,
    };

    // ggml's reference quantizer: the scale is max|x| / 127 and each value is rounded to nearest with the
    // scale as computed in float32, before the scale itself is rounded to f16 for storage.
    private static void EncodeQ8Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        float amax = 0f;
        foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        for (int i = 0; i < Q8BlockSize; i++) block[2 + i] = (byte)(sbyte)MathF.Round(x[i] * id, MidpointRounding.AwayFromZero);
    }
}
