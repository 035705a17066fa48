namespace TinyLM.IO;

/// <summary>
/// Element types of the safetensors format. The numeric order mirrors the reference
/// implementation's, because its writer lays tensors out by descending dtype and we want
/// byte-identical files.
/// </summary>
public enum SafeTensorDType
{
    Bool,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

public static class SafeTensorDTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.Bool or SafeTensorDType.U8 or SafeTensorDType.I8 => 1,
        SafeTensorDType.I16 or SafeTensorDType.U16 or SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.F32 => 4,
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>The name used in the JSON header ("F32", "BF16", "BOOL", ...).</summary>
    public static string ToHeaderName(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.Bool => "BOOL",
        SafeTensorDType.U8 => "U8",
        SafeTensorDType.I8 => "I8",
        SafeTensorDType.I16 => "I16",
        SafeTensorDType.U16 => "U16",
        SafeTensorDType.F16 => "F16",
        SafeTensorDType.BF16 => "BF16",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.U32 => "U32",
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.F64 => "F64",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.U64 => "U64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown safetensors dtype"),
    };

    /// <summary>Parses a header dtype name; false for names this reader does not support (e.g. F8_E4M3).</summary>
    public static bool TryParseHeaderName(string name, out SafeTensorDType dtype)
    {
        switch (name)
        {
            case "BOOL": dtype = SafeTensorDType.Bool; return true;
            case "U8": dtype = SafeTensorDType.U8; return true;
            case "I8": dtype = SafeTensorDType.I8; return true;
            case "I16": dtype = SafeTensorDType.I16; return true;
            case "U16": dtype = SafeTensorDType.U16; return true;
            case "F16": dtype = SafeTensorDType.F16; return true;
            case "BF16": dtype = SafeTensorDType.BF16; return true;
            case "I32": dtype = SafeTensorDType.I32; return true;
            case "U32": dtype = SafeTensorDType.U32; return true;
            case "F32": dtype = SafeTensorDType.F32; return true;
            case "F64": dtype = SafeTensorDType.F64; return true;
            case "I64": dtype = SafeTensorDType.I64; return true;
            case "U64": dtype = SafeTensorDType.U64; return true;
            default: dtype = default; return false;
        }
    }
}
