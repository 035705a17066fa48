using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TinyLM.IO;

/// <summary>
/// Reader and writer for the safetensors format: an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON mapping each tensor name to its dtype, shape and [begin, end) byte range in the
/// data section (plus an optional "__metadata__" string map), then the data section itself.
/// Files are written the way the reference implementation writes them (tensors ordered by
/// descending dtype then name, header padded with spaces to a multiple of 8) so every tensor is
/// aligned; files are read trusting nothing until it has been checked.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>The reference implementation refuses headers above this size; so do we.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private readonly Dictionary<string, SafeTensor> _byName;

    private SafeTensorsFile(List<SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = new Dictionary<string, SafeTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (SafeTensor t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>Tensors in the order of their data offsets.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The "__metadata__" map, empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public SafeTensor this[string name] =>
        _byName.TryGetValue(name, out SafeTensor? t) ? t : throw new KeyNotFoundException($"no tensor named '{name}'");

    public bool TryGetTensor(string name, out SafeTensor tensor)
    {
        bool found = _byName.TryGetValue(name, out SafeTensor? t);
        tensor = t!;
        return found;
    }

    /// <summary>Reads and validates a whole file; tensors share one buffer with no further copy.</summary>
    public static SafeTensorsFile Read(string path)
    {
        byte[] bytes = ReadAllBytesChecked(path);
        return Parse(bytes, path);
    }

    /// <summary>Validates and parses a safetensors image held in memory. <paramref name="sourceName"/> names it in errors.</summary>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, string sourceName)
    {
        ReadOnlySpan<byte> span = bytes.Span;
        if (span.Length == 0) throw Fail(sourceName, "file is empty, not a safetensors file");
        if (span.Length < 8)
        {
            throw Fail(sourceName, $"file is {span.Length} bytes, too short for the 8-byte safetensors header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(span);
        if (headerLength > MaxHeaderBytes)
        {
            throw Fail(sourceName, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit (file is {span.Length} bytes): not a safetensors file, or a corrupt one");
        }

        if (headerLength > (ulong)(span.Length - 8))
        {
            throw Fail(sourceName, $"header length {headerLength} runs past the end of the file ({span.Length} bytes): truncated, or not a safetensors file");
        }

        int n = (int)headerLength;
        if (n < 2 || span[8] != (byte)'{')
        {
            throw Fail(sourceName, "header does not start with '{': not a safetensors file");
        }

        // JSON strings are decoded lazily; invalid UTF-8 would surface later as an exception that names no file.
        if (!System.Text.Unicode.Utf8.IsValid(span.Slice(8, n)))
        {
            throw Fail(sourceName, "safetensors header is not valid UTF-8: corrupt, or not a safetensors file");
        }

        ReadOnlyMemory<byte> data = bytes[(8 + n)..];
        (List<Entry> entries, Dictionary<string, string> metadata) = ParseHeader(bytes.Slice(8, n), sourceName);
        ValidateLayout(entries, data.Length, sourceName);

        var tensors = new List<SafeTensor>(entries.Count);
        foreach (Entry e in entries)
        {
            tensors.Add(new SafeTensor(e.Name, e.DType, e.Shape, data.Slice((int)e.Begin, (int)(e.End - e.Begin))));
        }

        return new SafeTensorsFile(tensors, metadata);
    }

    /// <summary>Writes a safetensors file atomically (temp file in the same folder, then rename).</summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        List<SafeTensor> ordered = Prepare(tensors);
        byte[] header = BuildHeader(ordered, metadata);
        AtomicFile.Write(path, stream => WriteTo(stream, header, ordered));
    }

    /// <summary>Writes a safetensors image to a stream.</summary>
    public static void Write(Stream stream, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        List<SafeTensor> ordered = Prepare(tensors);
        WriteTo(stream, BuildHeader(ordered, metadata), ordered);
    }

    /// <summary>The bytes of a safetensors image.</summary>
    public static byte[] Serialize(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream();
        Write(ms, tensors, metadata);
        return ms.ToArray();
    }

    internal static byte[] ReadAllBytesChecked(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
            throw Directory.Exists(path) ? new IOException($"{path}: is a folder, not a model file") : new FileNotFoundException($"{path}: file not found", path);
        if (info.Length > Array.MaxLength)
        {
            throw Fail(path, $"file is {info.Length} bytes; files above {Array.MaxLength} bytes are not supported");
        }

        return File.ReadAllBytes(path);
    }

    private static ModelFormatException Fail(string source, string problem) => new(source, problem);

    private static List<SafeTensor> Prepare(IEnumerable<SafeTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = new List<SafeTensor>(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (SafeTensor t in ordered)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            if (t.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"tensor name '{t.Name}' appears more than once", nameof(tensors));
        }

        // Larger element types first keeps every tensor aligned to its element size; names break ties
        // byte-wise, as the reference writer does, so the same tensors always give the same file.
        ordered.Sort(static (a, b) =>
        {
            int byType = b.DType.CompareTo(a.DType);
            return byType != 0 ? byType : CompareUtf8(a.Name, b.Name);
        });
        return ordered;
    }

    private static int CompareUtf8(string a, string b)
    {
        byte[] x = Encoding.UTF8.GetBytes(a), y = Encoding.UTF8.GetBytes(b);
        return x.AsSpan().SequenceCompareTo(y);
    }

    private static byte[] BuildHeader(List<SafeTensor> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // The header is never embedded in HTML, so the relaxed encoder is safe and keeps non-ASCII
        // text (tokenizer vocabularies) readable instead of six bytes per character.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                var keys = new List<string>(metadata.Keys);
                keys.Sort(StringComparer.Ordinal);
                w.WriteStartObject(MetadataKey);
                foreach (string key in keys) w.WriteString(key, metadata[key] ?? throw new ArgumentException($"metadata '{key}' is null"));
                w.WriteEndObject();
            }

            long offset = 0;
            foreach (SafeTensor t in ordered)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.ToHeaderName());
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += t.Data.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + 7) & ~7;
        if (padded > MaxHeaderBytes)
        {
            throw new ArgumentException($"safetensors header would be {padded} bytes, above the {MaxHeaderBytes}-byte limit (metadata too large?)");
        }

        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteTo(Stream stream, byte[] header, List<SafeTensor> ordered)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (SafeTensor t in ordered) stream.Write(t.Data.Span);
    }

    private readonly record struct Entry(string Name, SafeTensorDType DType, int[] Shape, long Begin, long End);

    private static (List<Entry>, Dictionary<string, string>) ParseHeader(ReadOnlyMemory<byte> header, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(source, $"safetensors header is not valid JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail(source, "safetensors header is not a JSON object");

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (!seen.Add(p.Name)) throw Fail(source, $"header names '{p.Name}' more than once");
                if (p.Name == MetadataKey)
                {
                    ParseMetadata(p.Value, metadata, source);
                    continue;
                }

                entries.Add(ParseEntry(p.Name, p.Value, source));
            }

            return (entries, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Fail(source, $"'{MetadataKey}' must be an object of strings, found {value.ValueKind}");
        foreach (JsonProperty m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(source, $"'{MetadataKey}' entry '{m.Name}' must be a string, found {m.Value.ValueKind}");
            }

            if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Fail(source, $"'{MetadataKey}' names '{m.Name}' more than once");
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, string source)
    {
        if (name.Length == 0) throw Fail(source, "a tensor has an empty name");
        if (value.ValueKind != JsonValueKind.Object) throw Fail(source, $"tensor '{name}': entry must be an object, found {value.ValueKind}");

        string? dtypeName = null;
        int[]? shape = null;
        long[]? offsets = null;
        foreach (JsonProperty f in value.EnumerateObject())
        {
            switch (f.Name)
            {
                case "dtype" when dtypeName is null:
                    if (f.Value.ValueKind != JsonValueKind.String) throw Fail(source, $"tensor '{name}': dtype must be a string");
                    dtypeName = f.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ParseShape(name, f.Value, source);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ParseLongArray(name, f.Value, source);
                    break;
                default:
                    throw Fail(source, $"tensor '{name}': unexpected or repeated field '{f.Name}'");
            }
        }

        if (dtypeName is null) throw Fail(source, $"tensor '{name}': missing 'dtype'");
        if (shape is null) throw Fail(source, $"tensor '{name}': missing 'shape'");
        if (offsets is null) throw Fail(source, $"tensor '{name}': missing 'data_offsets'");
        if (!SafeTensorDTypeExtensions.TryParseHeaderName(dtypeName, out SafeTensorDType dtype))
        {
            throw Fail(source, $"tensor '{name}': unsupported dtype '{dtypeName}'");
        }

        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static int[] ParseShape(string name, JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Array) throw Fail(source, $"tensor '{name}': shape must be an array");
        int count = value.GetArrayLength();
        var result = new int[count];
        int i = 0;
        foreach (JsonElement e in value.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0 || v > int.MaxValue)
            {
                throw Fail(source, $"tensor '{name}': shape[{i}] = {e.GetRawText()} is not an integer in [0, {int.MaxValue}]");
            }

            result[i++] = (int)v;
        }

        return result;
    }

    private static long[] ParseLongArray(string name, JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
        {
            throw Fail(source, $"tensor '{name}': data_offsets must be an array of two integers [begin, end]");
        }

        var result = new long[2];
        int i = 0;
        foreach (JsonElement e in value.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            {
                throw Fail(source, $"tensor '{name}': data_offsets[{i}] = {e.GetRawText()} is not a non-negative integer");
            }

            result[i++] = v;
        }

        return result;
    }

    private static void ValidateLayout(List<Entry> entries, long dataLength, string source)
    {
        foreach (Entry e in entries)
        {
            if (e.End < e.Begin) throw Fail(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] end before they begin");
            if (e.End > dataLength)
            {
                throw Fail(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] run past the {dataLength} bytes of tensor data (file truncated?)");
            }

            long count;
            try
            {
                count = SafeTensor.ElementCountOf(e.Name, e.Shape);
                long bytes = checked(count * e.DType.Size());
                if (bytes != e.End - e.Begin)
                {
                    throw Fail(source, $"tensor '{e.Name}': shape [{string.Join(", ", e.Shape)}] of {e.DType.ToHeaderName()} needs {bytes} bytes but data_offsets [{e.Begin}, {e.End}] hold {e.End - e.Begin}");
                }
            }
            catch (OverflowException)
            {
                throw Fail(source, $"tensor '{e.Name}': shape [{string.Join(", ", e.Shape)}] overflows");
            }
        }

        // Sorting by begin offset then walking once finds every gap and overlap.
        var ordered = new List<Entry>(entries);
        ordered.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string previous = "(start of data)";
        foreach (Entry e in ordered)
        {
            if (e.Begin < expected)
            {
                throw Fail(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous}', which ends at {expected}");
            }

            if (e.Begin > expected)
            {
                throw Fail(source, $"tensor '{e.Name}': data_offsets begin at {e.Begin} but '{previous}' ends at {expected}; the format allows no gaps");
            }

            expected = e.End;
            previous = e.Name;
        }

        if (expected != dataLength)
        {
            throw Fail(source, $"{dataLength - expected} bytes of data after the last tensor ('{previous}' ends at {expected} of {dataLength})");
        }

        entries.Clear();
        entries.AddRange(ordered);
    }
}
