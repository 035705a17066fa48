using System.Buffers.Binary;
using System.Text;

namespace TinyLM.IO;

/// <summary>
/// Builds a GGUF v3 file (ggml's gguf.md): "GGUF", version 3, tensor count, metadata count, the metadata
/// key/value pairs, the tensor infos (name, dims innermost first, type, offset), padding to
/// <c>general.alignment</c>, then the tensor data, each tensor starting on an aligned offset. Metadata values
/// are C# values: string, bool, the integer and float primitives, or one-dimensional arrays of them.
/// </summary>
public sealed class GgufWriter
{
    /// <summary>Default alignment of tensor data (gguf.md).</summary>
    public const int DefaultAlignment = 32;

    private readonly List<(string Key, object Value)> _metadata = [];
    private readonly List<(string Name, long[] Shape, GgmlType Type, float[]? Values, byte[]? Encoded)> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Data alignment in bytes; written as general.alignment when not the default.</summary>
    public int Alignment { get; init; } = DefaultAlignment;

    /// <summary>Adds a metadata pair; keys must be unique.</summary>
    public GgufWriter Add(string key, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _ = TypeOf(value, key);
        if (!_keys.Add(key)) throw new ArgumentException($"GgufWriter: metadata key '{key}' added twice.");
        _metadata.Add((key, value));
        return this;
    }

    /// <summary>
    /// Adds a tensor of row-major <paramref name="shape"/> (outermost first) stored as <paramref name="type"/>;
    /// the values are converted when the file is written.
    /// </summary>
    public GgufWriter AddTensor(string name, ReadOnlySpan<long> shape, float[] values, GgmlType type = GgmlType.F32)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        long n = 1;
        foreach (long d in shape)
        {
            if (d <= 0) throw new ArgumentException($"GgufWriter: tensor '{name}' has a non-positive dimension in ({string.Join(", ", shape.ToArray())}).");
            n *= d;
        }
        if (shape.Length is < 1 or > 4 || n != values.Length)
            throw new ArgumentException($"GgufWriter: tensor '{name}' shape ({string.Join(", ", shape.ToArray())}) does not match its {values.Length} values (1 to 4 dims).");
        if (shape[^1] % GgmlQuant.BlockValues(type) != 0)
            throw new ArgumentException($"GgufWriter: tensor '{name}' rows of {shape[^1]} values cannot be stored as {type} (blocks of {GgmlQuant.BlockValues(type)}).");
        if (!_names.Add(name)) throw new ArgumentException($"GgufWriter: tensor '{name}' added twice.");
        _tensors.Add((name, shape.ToArray(), type, values, null));
        return this;
    }

    /// <summary>Adds a tensor already encoded as <paramref name="type"/> (e.g. q4_0 blocks of a quantized model), written verbatim.</summary>
    public GgufWriter AddEncodedTensor(string name, ReadOnlySpan<long> shape, GgmlType type, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(data);
        long n = 1;
        foreach (long d in shape)
        {
            if (d <= 0) throw new ArgumentException($"GgufWriter: tensor '{name}' has a non-positive dimension in ({string.Join(", ", shape.ToArray())}).");
            n *= d;
        }
        if (shape.Length is < 1 or > 4 || GgmlQuant.ByteCount(type, n) != data.Length)
            throw new ArgumentException($"GgufWriter: tensor '{name}' ({string.Join(", ", shape.ToArray())}) as {type} needs {GgmlQuant.ByteCount(type, n)} bytes, got {data.Length}.");
        if (!_names.Add(name)) throw new ArgumentException($"GgufWriter: tensor '{name}' added twice.");
        _tensors.Add((name, shape.ToArray(), type, null, data));
        return this;
    }

    /// <summary>Writes the file atomically.</summary>
    public void Write(string path) => AtomicFile.Write(path, Write);

    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        LlamaEndianness.Check("GGUF writer");
        if (Alignment <= 0 || (Alignment & (Alignment - 1)) != 0)
            throw new ArgumentException($"GgufWriter: alignment {Alignment} must be a positive power of two.");
        var metadata = new List<(string Key, object Value)>(_metadata);
        if (Alignment != DefaultAlignment && !_keys.Contains("general.alignment"))
            metadata.Add(("general.alignment", (uint)Alignment));

        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write("GGUF"u8);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)metadata.Count);
        foreach ((string key, object value) in metadata)
        {
            WriteString(w, key);
            w.Write((uint)TypeOf(value, key));
            WriteValue(w, value);
        }
        long offset = 0;
        foreach ((string name, long[] shape, GgmlType type, float[]? values, byte[]? encoded) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)shape.Length);
            for (int i = shape.Length - 1; i >= 0; i--) w.Write((ulong)shape[i]);
            w.Write((uint)type);
            w.Write((ulong)offset);
            offset = Align(offset + (encoded?.Length ?? GgmlQuant.ByteCount(type, values!.Length)), Alignment);
        }
        w.Flush();
        long dataStart = Align(stream.Position, Alignment);
        Pad(stream, dataStart - stream.Position);
        foreach ((_, _, GgmlType type, float[]? values, byte[]? encoded) in _tensors)
        {
            var bytes = encoded ?? new byte[GgmlQuant.ByteCount(type, values!.Length)];
            if (encoded is null) GgmlQuant.Encode(type, values!, bytes);
            stream.Write(bytes);
            Pad(stream, Align(bytes.Length, Alignment) - bytes.Length);
        }
    }

    internal static long Align(long x, int alignment) => (x + alignment - 1) / alignment * alignment;

    private static void Pad(Stream stream, long count)
    {
        for (long i = 0; i < count; i++) stream.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static GgufValueType TypeOf(object value, string key) => value switch
    {
        byte => GgufValueType.UInt8,
        sbyte => GgufValueType.Int8,
        ushort => GgufValueType.UInt16,
        short => GgufValueType.Int16,
        uint => GgufValueType.UInt32,
        int => GgufValueType.Int32,
        float => GgufValueType.Float32,
        bool => GgufValueType.Bool,
        string => GgufValueType.String,
        ulong => GgufValueType.UInt64,
        long => GgufValueType.Int64,
        double => GgufValueType.Float64,
        Array a when ElementType(a) != GgufValueType.Array => GgufValueType.Array,
        _ => throw new ArgumentException($"GgufWriter: metadata '{key}' has unsupported type {value.GetType().Name}."),
    };

    private static void WriteValue(BinaryWriter w, object value)
    {
        switch (value)
        {
            case byte v: w.Write(v); break;
            case sbyte v: w.Write(v); break;
            case ushort v: w.Write(v); break;
            case short v: w.Write(v); break;
            case uint v: w.Write(v); break;
            case int v: w.Write(v); break;
            case float v: w.Write(v); break;
            case bool v: w.Write((byte)(v ? 1 : 0)); break;
            case string v: WriteString(w, v); break;
            case ulong v: w.Write(v); break;
            case long v: w.Write(v); break;
            case double v: w.Write(v); break;
            case Array a:
                GgufValueType element = ElementType(a);
                w.Write((uint)element);
                w.Write((ulong)a.Length);
                foreach (object? item in a) WriteValue(w, item!);
                break;
            default:
                throw new ArgumentException($"GgufWriter: unsupported metadata value type {value.GetType().Name}.");
        }
    }

    private static GgufValueType ElementType(Array a) => a switch
    {
        byte[] => GgufValueType.UInt8,
        sbyte[] => GgufValueType.Int8,
        ushort[] => GgufValueType.UInt16,
        short[] => GgufValueType.Int16,
        uint[] => GgufValueType.UInt32,
        int[] => GgufValueType.Int32,
        float[] => GgufValueType.Float32,
        bool[] => GgufValueType.Bool,
        string[] => GgufValueType.String,
        ulong[] => GgufValueType.UInt64,
        long[] => GgufValueType.Int64,
        double[] => GgufValueType.Float64,
        _ => throw new ArgumentException($"GgufWriter: unsupported metadata array type {a.GetType().Name}."),
    };
}
