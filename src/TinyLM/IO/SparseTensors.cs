using System.Numerics;
using System.Runtime.InteropServices;
using TinyLM.Tensors;

namespace TinyLM.IO;

/// <summary>
/// How a mostly-zero (pruned) float32 weight sits in a model file: instead of "NAME" (F32, dense) the file holds
/// "NAME.mask" (U8 [⌈n/8⌉], bit i of byte i/8 set, least significant first, when element i is non-zero) and
/// "NAME.values" (F32 [number of set bits], the non-zero elements in row-major order). At 50% sparsity this takes
/// 4.125 bits per element plus 16 per kept one (1.88× smaller than dense); the loader checks every size against
/// the shape the config implies, so a truncated or tampered file fails with a message naming the tensor.
/// </summary>
public static class SparseTensors
{
    public const string MaskSuffix = ".mask";
    public const string ValuesSuffix = ".values";

    /// <summary>A weight is stored sparsely only when at least this share of it is zero (pruned models, not trained ones).</summary>
    public const double MinZeroFraction = 0.1;

    /// <summary>Bytes a tensor of <paramref name="count"/> elements with <paramref name="nonZero"/> non-zeros takes stored sparsely.</summary>
    public static long SparseBytes(long count, long nonZero) => (count + 7) / 8 + 4 * nonZero;

    /// <summary>
    /// Adds a weight matrix (rank ≥ 2) in the sparse layout when at least <see cref="MinZeroFraction"/> of it is zero
    /// (which always makes it smaller); returns false (adding nothing) otherwise. Vectors (biases, norms, often zero
    /// when fresh) always stay dense.
    /// </summary>
    public static bool TryAdd(ModelFileContents contents, string name, Tensor tensor) => TryAdd(contents, name, tensor, allowHalf: false);

    /// <summary>As <see cref="TryAdd(ModelFileContents, string, Tensor)"/>; with <paramref name="allowHalf"/>, values that are all exact float16 values are stored F16 (lossless).</summary>
    public static bool TryAdd(ModelFileContents contents, string name, Tensor tensor, bool allowHalf)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2) return false;
        var values = tensor.Contiguous().AsSpan();
        long nonZero = values.Length - CountZeros(values);
        if (values.Length == 0 || values.Length - nonZero < MinZeroFraction * values.Length) return false;
        var (mask, kept) = Encode(values);
        contents.Tensors.Add(SafeTensor.FromBytes(name + MaskSuffix, [mask.Length], mask));
        if (allowHalf && Compression.HalfPrecision.IsExact(kept)) contents.Tensors.Add(QuantizedTensors.HalfTensor(name + ValuesSuffix, [kept.Length], kept));
        else contents.AddFloats(name + ValuesSuffix, [kept.Length], kept);
        return true;
    }

    /// <summary>The bitmask and the non-zero values of <paramref name="values"/>.</summary>
    public static (byte[] Mask, float[] Values) Encode(ReadOnlySpan<float> values)
    {
        var mask = new byte[(values.Length + 7) / 8];
        var kept = new float[values.Length - CountZeros(values)];
        int k = 0;
        for (int i = 0; i < values.Length; i++)
        {
            // Bit patterns, not ==, so −0 and NaN survive the round trip as they are.
            if (BitConverter.SingleToInt32Bits(values[i]) == 0) continue;
            mask[i >> 3] |= (byte)(1 << (i & 7));
            kept[k++] = values[i];
        }
        return (mask, kept);
    }

    /// <summary>
    /// Rebuilds <paramref name="count"/> dense values from a mask and its non-zeros; every size is checked and a
    /// mismatch throws <see cref="ArgumentException"/> saying which.
    /// </summary>
    public static void Decode<T>(ReadOnlySpan<byte> mask, ReadOnlySpan<T> values, Span<T> into)
        where T : unmanaged
    {
        int count = into.Length;
        if (mask.Length != (count + 7) / 8)
            throw new ArgumentException($"mask has {mask.Length} bytes, {count} elements need {(count + 7) / 8}.");
        long set = 0;
        foreach (byte b in mask) set += BitOperations.PopCount(b);
        if (set != values.Length)
            throw new ArgumentException($"mask marks {set} non-zero elements but {values.Length} values are stored.");
        if ((count & 7) != 0 && (mask[^1] >> (count & 7)) != 0)
            throw new ArgumentException($"mask has bits set past element {count}.");
        into.Clear();
        int k = 0;
        for (int i = 0; i < count; i++)
            if ((mask[i >> 3] & (1 << (i & 7))) != 0) into[i] = values[k++];
    }

    /// <summary>
    /// Loads "NAME" from its sparse form into <paramref name="parameter"/> when the file holds it that way; returns
    /// false when the file has no "NAME.mask" (the caller then reads the dense tensor).
    /// </summary>
    public static bool TryLoad(ModelFileContents contents, string path, string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(parameter);
        if (!contents.TryGetTensor(name + MaskSuffix, out var mask)) return false;
        if (contents.TryGetTensor(name, out _))
            throw new ModelFormatException(path, $"weight '{name}' is stored both dense and sparse ('{name}{MaskSuffix}').");
        if (!contents.TryGetTensor(name + ValuesSuffix, out var values))
            throw new ModelFormatException(path, $"sparse weight '{name}' has a mask but no '{name}{ValuesSuffix}'.");
        if (mask.DType != SafeTensorDType.U8 || mask.Shape.Length != 1)
            throw new ModelFormatException(path, $"'{mask.Name}' is {mask.DType.ToHeaderName()} [{string.Join(", ", mask.ShapeArray())}], expected a U8 vector.");
        if (values.DType is not (SafeTensorDType.F32 or SafeTensorDType.F16) || values.Shape.Length != 1)
            throw new ModelFormatException(path, $"'{values.Name}' is {values.DType.ToHeaderName()} [{string.Join(", ", values.ShapeArray())}], expected an F32 or F16 vector.");
        try
        {
            var floats = values.DType == SafeTensorDType.F32 ? MemoryMarshal.Cast<byte, float>(values.Data.Span) : values.ToFloatArray();
            Decode(mask.Data.Span, floats, parameter.AsSpan());
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path,
                $"sparse weight '{name}' [{string.Join(", ", parameter.Shape.ToArray())}]: {e.Message}");
        }
        return true;
    }

    /// <summary>Number of elements that are exactly +0 (the pruned ones).</summary>
    public static int CountZeros(ReadOnlySpan<float> values)
    {
        int zeros = 0;
        foreach (float v in values)
            if (BitConverter.SingleToInt32Bits(v) == 0) zeros++;
        return zeros;
    }
}
