namespace TinyLM.IO;

/// <summary>Type tags of GGUF metadata values (gguf.md, <c>gguf_metadata_value_type</c>).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>The ggml tensor types this build writes and reads (ggml.h numbering).</summary>
public enum GgmlType : uint
{
    /// <summary>float32.</summary>
    F32 = 0,

    /// <summary>IEEE half precision.</summary>
    F16 = 1,

    /// <summary>Blocks of 32 4-bit values with one f16 scale d = x_maxabs / −8, value = (q − 8)·d (18 bytes a block).</summary>
    Q4_0 = 2,

    /// <summary>Blocks of 32 int8 values with one f16 scale d = max|x| / 127 (34 bytes a block).</summary>
    Q8_0 = 8,

    /// <summary>Super-blocks of 256 4-bit values: f16 d and dmin, 6-bit scales and mins of 8 sub-blocks (144 bytes a super-block).</summary>
    Q4_K = 12,
}

/// <summary>llama.cpp's token kinds (<c>tokenizer.ggml.token_type</c>).</summary>
public enum GgufTokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One tensor of a GGUF file: name, shape (outermost first, i.e. row-major order), type and place.</summary>
/// <param name="Shape">Row-major shape; GGUF stores it reversed (ne[0] is the contiguous axis).</param>
/// <param name="Offset">Byte offset of the data from the start of the data section.</param>
public sealed record GgufTensorInfo(string Name, long[] Shape, GgmlType Type, long Offset)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>Bytes of the data.</summary>
    public long ByteCount => GgmlQuant.ByteCount(Type, ElementCount);
}
