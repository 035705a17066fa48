using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TinyLM.IO;

/// <summary>
/// One named tensor as stored in a safetensors file: dtype, row-major shape and the raw
/// little-endian bytes. Holds no reference to TinyLM.Tensors so that any layer can use it.
/// </summary>
public sealed class SafeTensor
{
    private readonly int[] _shape;

    /// <summary>Wraps existing little-endian bytes; checks that their length matches shape and dtype.</summary>
    public SafeTensor(string name, SafeTensorDType dtype, ReadOnlySpan<int> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _shape = shape.ToArray();
        long count = ElementCountOf(name, _shape);
        long expected = checked(count * dtype.Size());
        if (data.Length != expected)
        {
            throw new ArgumentException(
                $"tensor '{name}': {data.Length} bytes given but shape [{string.Join(", ", _shape)}] of {dtype.ToHeaderName()} needs {expected}",
                nameof(data));
        }

        Name = name;
        DType = dtype;
        ElementCount = count;
        Data = data;
    }

    public string Name { get; }

    public SafeTensorDType DType { get; }

    /// <summary>Row-major shape; empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>A copy of the shape, for callers that need an array.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    public long ElementCount { get; }

    /// <summary>Raw little-endian element bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public static SafeTensor FromFloats(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values) =>
        new(name, SafeTensorDType.F32, shape, ToLittleEndianBytes(values));

    public static SafeTensor FromSBytes(string name, ReadOnlySpan<int> shape, ReadOnlySpan<sbyte> values) =>
        new(name, SafeTensorDType.I8, shape, MemoryMarshal.AsBytes(values).ToArray());

    public static SafeTensor FromBytes(string name, ReadOnlySpan<int> shape, ReadOnlySpan<byte> values) =>
        new(name, SafeTensorDType.U8, shape, values.ToArray());

    public static SafeTensor FromInt32s(string name, ReadOnlySpan<int> shape, ReadOnlySpan<int> values) =>
        new(name, SafeTensorDType.I32, shape, ToLittleEndianBytes(values));

    public static SafeTensor FromInt64s(string name, ReadOnlySpan<int> shape, ReadOnlySpan<long> values) =>
        new(name, SafeTensorDType.I64, shape, ToLittleEndianBytes(values));

    /// <summary>
    /// Elements widened or narrowed to float32: F16 and BF16 are expanded exactly, F64 and the
    /// integer types are cast. Always a fresh array.
    /// </summary>
    public float[] ToFloatArray()
    {
        ReadOnlySpan<byte> b = Data.Span;
        var result = new float[ElementCount];
        switch (DType)
        {
            case SafeTensorDType.F32 when BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, float>(b).CopyTo(result);
                break;
            case SafeTensorDType.F32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(b[(4 * i)..]);
                break;
            case SafeTensorDType.F16:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(b[(2 * i)..]);
                break;
            case SafeTensorDType.BF16:
                // bfloat16 is the top half of a float32, so widening is a shift.
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]) << 16);
                }

                break;
            case SafeTensorDType.F64:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(b[(8 * i)..]);
                break;
            case SafeTensorDType.Bool:
            case SafeTensorDType.U8:
                for (int i = 0; i < result.Length; i++) result[i] = b[i];
                break;
            case SafeTensorDType.I8:
                for (int i = 0; i < result.Length; i++) result[i] = (sbyte)b[i];
                break;
            case SafeTensorDType.I16:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt16LittleEndian(b[(2 * i)..]);
                break;
            case SafeTensorDType.U16:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadUInt16LittleEndian(b[(2 * i)..]);
                break;
            case SafeTensorDType.I32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(b[(4 * i)..]);
                break;
            case SafeTensorDType.U32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadUInt32LittleEndian(b[(4 * i)..]);
                break;
            case SafeTensorDType.I64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(b[(8 * i)..]);
                break;
            case SafeTensorDType.U64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadUInt64LittleEndian(b[(8 * i)..]);
                break;
            default:
                throw new NotSupportedException($"tensor '{Name}': dtype {DType} cannot be converted to float");
        }

        return result;
    }

    /// <summary>The raw elements of an I8 tensor (int8 quantized weights).</summary>
    public sbyte[] ToSByteArray()
    {
        RequireDType(SafeTensorDType.I8);
        return MemoryMarshal.Cast<byte, sbyte>(Data.Span).ToArray();
    }

    /// <summary>The raw elements of an I32 tensor.</summary>
    public int[] ToInt32Array()
    {
        RequireDType(SafeTensorDType.I32);
        var result = new int[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(Data.Span[(4 * i)..]);
        return result;
    }

    /// <summary>The raw elements of an I64 tensor.</summary>
    public long[] ToInt64Array()
    {
        RequireDType(SafeTensorDType.I64);
        var result = new long[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(Data.Span[(8 * i)..]);
        return result;
    }

    public override string ToString() => $"{Name}: {DType.ToHeaderName()}[{string.Join(", ", _shape)}]";

    internal static long ElementCountOf(string name, ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension {d} in shape");
            count = checked(count * d);
        }

        return count;
    }

    private void RequireDType(SafeTensorDType expected)
    {
        if (DType != expected)
        {
            throw new InvalidOperationException($"tensor '{Name}' is {DType.ToHeaderName()}, not {expected.ToHeaderName()}");
        }
    }

    private static byte[] ToLittleEndianBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[checked(values.Length * 4)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static byte[] ToLittleEndianBytes(ReadOnlySpan<int> values)
    {
        var bytes = new byte[checked(values.Length * 4)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static byte[] ToLittleEndianBytes(ReadOnlySpan<long> values)
    {
        var bytes = new byte[checked(values.Length * 8)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return bytes;
    }
}
