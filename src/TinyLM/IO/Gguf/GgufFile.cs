using System.Buffers.Binary;
using System.Text;

namespace TinyLM.IO;

/// <summary>
/// A GGUF v2/v3 file read into memory and validated: metadata (values as C# primitives, strings or 1-D arrays)
/// and tensor infos whose offsets and sizes are checked against the file before any data is touched.
/// Tensors of type f32, f16 and q8_0 can be read back as float32.
/// </summary>
public sealed class GgufFile
{
    private const int MaxDims = 4;
    private const long MaxStringBytes = 1 << 24;

    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, GgufTensorInfo> _byName;

    private GgufFile(string source, int version, Dictionary<string, object> metadata, List<GgufTensorInfo> tensors, byte[] bytes, long dataStart)
    {
        Source = source;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        _bytes = bytes;
        _dataStart = dataStart;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file name used in errors.</summary>
    public string Source { get; }

    public int Version { get; }

    public IReadOnlyDictionary<string, object> Metadata { get; }

    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    public static GgufFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static GgufFile Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        LlamaEndianness.Check(source);
        var r = new Reader(bytes, source);
        if (bytes.Length < 4 || !bytes.AsSpan(0, 4).SequenceEqual("GGUF"u8))
            throw new ModelFormatException(source, "not a GGUF file (no \"GGUF\" magic).");
        r.Position = 4;
        uint version = r.UInt32();
        if (version is < 2 or > 3)
            throw new ModelFormatException(source, $"GGUF version {version} is not supported (this build reads 2 and 3).");
        ulong tensorCount = r.UInt64(), kvCount = r.UInt64();
        // Every pair and tensor info takes at least 8 bytes, so a count beyond the file size is corruption.
        if (tensorCount > (ulong)bytes.Length / 8 || kvCount > (ulong)bytes.Length / 8)
            throw new ModelFormatException(source, $"GGUF header claims {tensorCount} tensors and {kvCount} metadata pairs, impossible in {bytes.Length} bytes.");
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            string key = r.String();
            var type = (GgufValueType)r.UInt32();
            if (!metadata.TryAdd(key, r.Value(type, key)))
                throw new ModelFormatException(source, $"GGUF metadata key '{key}' appears twice.");
        }
        int alignment = metadata.TryGetValue("general.alignment", out object? a)
            ? a is uint u && u > 0 && (u & (u - 1)) == 0 ? (int)u : throw new ModelFormatException(source, $"general.alignment {a} must be a power-of-two uint32.")
            : GgufWriter.DefaultAlignment;
        var tensors = new List<GgufTensorInfo>((int)tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            string name = r.String();
            uint dims = r.UInt32();
            if (dims is 0 or > MaxDims) throw new ModelFormatException(source, $"GGUF tensor '{name}' has {dims} dimensions (1 to {MaxDims} supported).");
            var shape = new long[dims];
            for (int d = (int)dims - 1; d >= 0; d--)
            {
                ulong n = r.UInt64();
                if (n == 0 || n > int.MaxValue) throw new ModelFormatException(source, $"GGUF tensor '{name}' has dimension {n}.");
                shape[d] = (long)n;
            }
            uint type = r.UInt32();
            if (type is not ((uint)GgmlType.F32 or (uint)GgmlType.F16 or (uint)GgmlType.Q8_0 or (uint)GgmlType.Q4_0 or (uint)GgmlType.Q4_K))
                throw new ModelFormatException(source, $"GGUF tensor '{name}' has ggml type {type}; this reader supports f32 (0), f16 (1), q4_0 (2), q8_0 (8) and q4_k (12).");
            ulong offset = r.UInt64();
            if (offset % (ulong)alignment != 0 || offset > (ulong)bytes.Length)
                throw new ModelFormatException(source, $"GGUF tensor '{name}' offset {offset} is not aligned to {alignment} or lies past the end.");
            if (!names.Add(name)) throw new ModelFormatException(source, $"GGUF tensor '{name}' appears twice.");
            GgufTensorInfo info;
            try
            {
                info = new GgufTensorInfo(name, shape, (GgmlType)type, (long)offset);
                _ = info.ByteCount;
            }
            catch (ArgumentException ex)
            {
                throw new ModelFormatException(source, $"GGUF tensor '{name}': {ex.Message}", ex);
            }
            tensors.Add(info);
        }
        long dataStart = GgufWriter.Align(r.Position, alignment);
        foreach (GgufTensorInfo t in tensors)
        {
            if (dataStart + t.Offset + t.ByteCount > bytes.Length)
                throw new ModelFormatException(source, $"GGUF file is truncated: tensor '{t.Name}' needs bytes [{dataStart + t.Offset}, {dataStart + t.Offset + t.ByteCount}) of {bytes.Length}.");
        }
        return new GgufFile(source, (int)version, metadata, tensors, bytes, dataStart);
    }

    /// <summary>Size of the whole file in bytes: what any allocation its metadata asks for is checked against.</summary>
    public long ByteLength => _bytes.Length;

    public bool HasTensor(string name) => _byName.ContainsKey(name);

    public GgufTensorInfo GetInfo(string name) =>
        _byName.TryGetValue(name, out GgufTensorInfo? t) ? t : throw new ModelFormatException(Source, $"GGUF file has no tensor '{name}'.");

    /// <summary>The tensor's values as float32 (f16 and q8_0 are dequantized).</summary>
    public float[] ReadFloats(string name)
    {
        GgufTensorInfo t = GetInfo(name);
        var values = new float[t.ElementCount];
        GgmlQuant.Decode(t.Type, _bytes.AsSpan((int)(_dataStart + t.Offset), (int)t.ByteCount), values);
        return values;
    }

    /// <summary>A required metadata value of type <typeparamref name="T"/>.</summary>
    public T Get<T>(string key) where T : notnull =>
        Metadata.TryGetValue(key, out object? v)
            ? v is T t ? t : throw new ModelFormatException(Source, $"GGUF metadata '{key}' is {v.GetType().Name}, expected {typeof(T).Name}.")
            : throw new ModelFormatException(Source, $"GGUF metadata '{key}' is missing.");

    private sealed class Reader(byte[] bytes, string source)
    {
        public long Position { get; set; }

        private ReadOnlySpan<byte> Take(long n, string what)
        {
            if (n < 0 || Position + n > bytes.Length)
                throw new ModelFormatException(source, $"GGUF file is truncated: {what} at byte {Position} needs {n} bytes, {bytes.Length - Position} left.");
            var span = bytes.AsSpan((int)Position, (int)n);
            Position += n;
            return span;
        }

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, "uint32"));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, "uint64"));

        public string String()
        {
            ulong n = UInt64();
            if (n > MaxStringBytes) throw new ModelFormatException(source, $"GGUF string at byte {Position - 8} claims {n} bytes.");
            return Encoding.UTF8.GetString(Take((long)n, "string"));
        }

        public object Value(GgufValueType type, string key) => type switch
        {
            GgufValueType.UInt8 => Take(1, key)[0],
            GgufValueType.Int8 => (sbyte)Take(1, key)[0],
            GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, key)),
            GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(Take(2, key)),
            GgufValueType.UInt32 => UInt32(),
            GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(Take(4, key)),
            GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(Take(4, key)),
            GgufValueType.Bool => Take(1, key)[0] switch
            {
                0 => false,
                1 => true,
                var b => throw new ModelFormatException(source, $"GGUF metadata '{key}': bool byte {b}."),
            },
            GgufValueType.String => String(),
            GgufValueType.UInt64 => UInt64(),
            GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Take(8, key)),
            GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, key)),
            GgufValueType.Array => Array(key),
            _ => throw new ModelFormatException(source, $"GGUF metadata '{key}' has unknown value type {(uint)type}."),
        };

        private object Array(string key)
        {
            var element = (GgufValueType)UInt32();
            ulong n = UInt64();
            // Each item takes at least MinBytes(element) of the file, and no array slot (8 bytes at most) is larger than
            // that, so an array never costs more memory than the bytes it claims to occupy.
            if (n > (ulong)(bytes.Length - Position) / (ulong)MinBytes(element))
                throw new ModelFormatException(source, $"GGUF metadata '{key}': array of {n} items cannot fit in the {bytes.Length - Position} bytes left.");
            int count = (int)n;
            return element switch
            {
                GgufValueType.UInt8 => Fill<byte>(count, element, key),
                GgufValueType.Int8 => Fill<sbyte>(count, element, key),
                GgufValueType.UInt16 => Fill<ushort>(count, element, key),
                GgufValueType.Int16 => Fill<short>(count, element, key),
                GgufValueType.UInt32 => Fill<uint>(count, element, key),
                GgufValueType.Int32 => Fill<int>(count, element, key),
                GgufValueType.Float32 => Fill<float>(count, element, key),
                GgufValueType.Bool => Fill<bool>(count, element, key),
                GgufValueType.String => Fill<string>(count, element, key),
                GgufValueType.UInt64 => Fill<ulong>(count, element, key),
                GgufValueType.Int64 => Fill<long>(count, element, key),
                GgufValueType.Float64 => Fill<double>(count, element, key),
                _ => throw new ModelFormatException(source, $"GGUF metadata '{key}': arrays of type {(uint)element} are not supported."),
            };
        }

        private static int MinBytes(GgufValueType element) => element switch
        {
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8, // a string is its 8-byte length + bytes
            _ => 1,
        };

        private T[] Fill<T>(int count, GgufValueType element, string key)
        {
            var items = new T[count];
            for (int i = 0; i < count; i++) items[i] = (T)Value(element, key);
            return items;
        }
    }
}
