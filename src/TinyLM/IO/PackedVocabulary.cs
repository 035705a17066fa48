using System.Buffers;
using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TinyLM.IO;

/// <summary>
/// Keeps a tokenizer's word list out of the file header. A JSON array of 20,000 words, stored as a string
/// inside the header's JSON, pays two escaped quotes and a comma per word (≈ 5 bytes) on top of the word
/// itself; here the words are written as one U8 tensor instead: each word's UTF-8 bytes followed by a NUL byte,
/// the whole zlib-compressed (a word list sorted by frequency, then alphabetically, compresses about 2×;
/// terminators compress better than length prefixes). A list holding a word with a NUL keeps the JSON array. The tokenizer JSON keeps a placeholder in place of the array:
/// <c>"words": {"tensor": "tinylm.tokenizer.words", "count": N, "bytes": B, "encoding": "zlib-nul-utf8"}</c>.
/// Format version 2 writes it; version 1 files keep the plain array and load as before.
/// </summary>
internal static class PackedVocabulary
{
    /// <summary>The first format version whose files may hold a packed word list.</summary>
    public const int FirstFormatVersion = 2;

    public const string TensorName = "tinylm.tokenizer.words";

    public const string EncodingName = "zlib-nul-utf8";

    private const string WordsProperty = "words";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The tokenizer JSON with its "words" array replaced by the placeholder, and the tensor holding the words;
    /// null when the JSON has no array of strings under "words" (other tokenizers are stored unchanged).
    /// </summary>
    public static (string Json, SafeTensor Tensor)? TryPack(string tokenizerJson)
    {
        using var doc = JsonDocument.Parse(tokenizerJson);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(WordsProperty, out var words) || words.ValueKind != JsonValueKind.Array)
            return null;
        var raw = new ArrayBufferWriter<byte>();
        int count = 0;
        foreach (var word in words.EnumerateArray())
        {
            if (word.ValueKind != JsonValueKind.String) return null;
            byte[] utf8;
            try
            {
                utf8 = StrictUtf8.GetBytes(word.GetString()!);
            }
            catch (Exception e) when (e is EncoderFallbackException or InvalidOperationException)
            {
                return null; // a lone surrogate has no UTF-8 form; the JSON array keeps it
            }
            if (utf8.AsSpan().IndexOf((byte)0) >= 0) return null; // NUL terminates words; such a list keeps the JSON array
            raw.Write(utf8);
            raw.Write([(byte)0]);
            count++;
        }

        byte[] packed = Compress(raw.WrittenSpan);
        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals(WordsProperty))
                {
                    w.WriteStartObject(WordsProperty);
                    w.WriteString("tensor", TensorName);
                    w.WriteNumber("count", count);
                    w.WriteNumber("bytes", raw.WrittenCount);
                    w.WriteString("encoding", EncodingName);
                    w.WriteEndObject();
                }
                else property.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return (Encoding.UTF8.GetString(json.WrittenSpan), SafeTensor.FromBytes(TensorName, [packed.Length], packed));
    }

    /// <summary>
    /// When <paramref name="tokenizerJson"/> holds the placeholder, the JSON with the words put back as an array
    /// and true; otherwise the JSON unchanged and false. Every size is checked against the tensor before use.
    /// </summary>
    public static bool TryUnpack(string tokenizerJson, Func<string, SafeTensor?> tensors, string source, out string result, out string tensorName)
    {
        result = tokenizerJson;
        tensorName = "";
        using var doc = JsonDocument.Parse(tokenizerJson);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(WordsProperty, out var placeholder)
            || placeholder.ValueKind != JsonValueKind.Object)
            return false;
        var (name, count, bytes) = ReadPlaceholder(placeholder, source);
        tensorName = name;
        var tensor = tensors(name) ?? throw Fail(source, $"the tokenizer's words are packed in tensor '{name}', which the file lacks.");
        if (tensor.DType != SafeTensorDType.U8 || tensor.Shape.Length != 1)
            throw Fail(source, $"'{name}' is {tensor.DType.ToHeaderName()} [{string.Join(", ", tensor.ShapeArray())}], expected a U8 vector of packed words.");
        var words = Decode(Decompress(tensor.Data.Span, bytes, name, source), count, name, source);

        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals(WordsProperty))
                {
                    w.WriteStartArray(WordsProperty);
                    foreach (string word in words) w.WriteStringValue(word);
                    w.WriteEndArray();
                }
                else property.WriteTo(w);
            }
            w.WriteEndObject();
        }
        result = Encoding.UTF8.GetString(json.WrittenSpan);
        return true;
    }

    private static (string Name, int Count, int Bytes) ReadPlaceholder(JsonElement placeholder, string source)
    {
        string? name = null, encoding = null;
        long count = -1, bytes = -1;
        foreach (var p in placeholder.EnumerateObject())
        {
            switch (p.Name)
            {
                case "tensor" when p.Value.ValueKind == JsonValueKind.String: name = p.Value.GetString(); break;
                case "encoding" when p.Value.ValueKind == JsonValueKind.String: encoding = p.Value.GetString(); break;
                case "count" when p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out long c): count = c; break;
                case "bytes" when p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out long b): bytes = b; break;
                default: throw Fail(source, $"tokenizer \"words\" placeholder has an unexpected field '{p.Name}' = {p.Value.GetRawText()}.");
            }
        }
        if (encoding != EncodingName)
            throw Fail(source, $"the tokenizer's words use encoding '{encoding ?? "(none)"}'; this TinyLM reads '{EncodingName}'.");
        if (string.IsNullOrEmpty(name) || count < 0 || count > int.MaxValue || bytes < 0 || bytes > Array.MaxLength)
            throw Fail(source, $"tokenizer \"words\" placeholder needs a tensor name, a count and a byte size in range, got {placeholder.GetRawText()}.");
        return (name, (int)count, (int)bytes);
    }

    /// <summary>zlib at the smallest size (also used for <see cref="DeflatedTensors"/>).</summary>
    internal static byte[] Compress(ReadOnlySpan<byte> raw)
    {
        using var buffer = new MemoryStream();
        using (var z = new ZLibStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(raw);
        return buffer.ToArray();
    }

    /// <summary>Inflates exactly <paramref name="bytes"/> bytes; a short, long or corrupt stream fails naming <paramref name="name"/>.</summary>
    internal static byte[] Decompress(ReadOnlySpan<byte> packed, int bytes, string name, string source)
    {
        // Deflate expands at most ~1032:1, so a size claim beyond that is a corrupt header, not a reason to allocate.
        if (bytes > 1032L * packed.Length + 64)
            throw Fail(source, $"'{name}' claims {bytes} unpacked bytes from {packed.Length} packed ones: corrupt.");
        var raw = new byte[bytes];
        try
        {
            using var z = new ZLibStream(new MemoryStream(packed.ToArray(), writable: false), CompressionMode.Decompress);
            int read = 0;
            while (read < bytes)
            {
                int n = z.Read(raw, read, bytes - read);
                if (n == 0) throw Fail(source, $"'{name}' unpacks to {read} bytes, the header says {bytes}: truncated or corrupt.");
                read += n;
            }
            if (z.ReadByte() >= 0) throw Fail(source, $"'{name}' unpacks to more than the {bytes} bytes the header says: corrupt.");
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException(source, $"'{name}' is not a valid zlib stream ({e.Message}): truncated or corrupt.", e);
        }
        return raw;
    }

    private static string[] Decode(ReadOnlySpan<byte> raw, int count, string name, string source)
    {
        // Every word takes at least one byte (its terminator), so a count beyond the bytes is corrupt before any allocation.
        if (count > raw.Length)
            throw Fail(source, $"'{name}' claims {count} words in {raw.Length} bytes: corrupt.");
        var words = new string[count];
        int pos = 0;
        for (int i = 0; i < count; i++)
        {
            int length = raw[pos..].IndexOf((byte)0);
            if (length < 0)
                throw Fail(source, $"'{name}': word {i} of {count} has no terminator before the end of the {raw.Length} bytes: truncated.");
            try
            {
                words[i] = StrictUtf8.GetString(raw.Slice(pos, length));
            }
            catch (DecoderFallbackException)
            {
                throw Fail(source, $"'{name}': word {i} is not valid UTF-8.");
            }
            pos += length + 1;
        }
        if (pos != raw.Length)
            throw Fail(source, $"'{name}': {raw.Length - pos} bytes follow the last of the {count} words: corrupt.");
        return words;
    }

    private static ModelFormatException Fail(string source, string problem) => new(source, problem);
}
