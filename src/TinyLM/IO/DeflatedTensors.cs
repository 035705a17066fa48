using System.Text.Json;

namespace TinyLM.IO;

/// <summary>
/// Tensors stored zlib-compressed, for files that must be as small as possible (<see cref="ModelFileContents.DeflateTensors"/>).
/// Quantized tables hold few distinct values (an int8 SVM table with one scale per class is mostly 0; idf is a function of
/// document frequency, so a vocabulary ordered by frequency holds long runs of one float16 value), which a general
/// entropy coder stores in a fraction of their bytes; the loader inflates them before any reader sees the tensors, so
/// every model loader reads them unchanged. Layout: tensor <c>NAME.zlib</c> (U8, the zlib stream of NAME's
/// little-endian bytes) and, in metadata <see cref="MetadataKey"/>, <c>{"NAME": {"dtype": "F16", "shape": [..]}, …}</c>.
/// A tensor is stored so only when that saves at least an eighth of its bytes. A file holding any is written as format
/// version 3 (older builds refuse it as too new instead of missing its tensors).
/// </summary>
internal static class DeflatedTensors
{
    /// <summary>The first format version whose files may hold deflated tensors.</summary>
    public const int FirstFormatVersion = 3;

    public const string MetadataKey = "tinylm.zlib_tensors";

    public const string Suffix = ".zlib";

    // Tensors smaller than this stay raw: the zlib header and the metadata entry would eat what they save.
    private const int MinBytes = 256;

    /// <summary>The tensors with every one that deflation shrinks by ≥ 1/8 replaced by its deflated form, and the metadata JSON (null when none was).</summary>
    public static (List<SafeTensor> Tensors, string? Json) Deflate(IReadOnlyList<SafeTensor> tensors)
    {
        var result = new List<SafeTensor>(tensors.Count);
        var buffer = new MemoryStream();
        bool any = false;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var t in tensors)
            {
                byte[] packed = t.Data.Length >= MinBytes ? PackedVocabulary.Compress(t.Data.Span) : [];
                if (packed.Length == 0 || packed.Length > t.Data.Length - t.Data.Length / 8)
                {
                    result.Add(t);
                    continue;
                }
                result.Add(SafeTensor.FromBytes(t.Name + Suffix, [packed.Length], packed));
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.ToHeaderName());
                w.WriteStartArray("shape");
                foreach (int d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteEndObject();
                any = true;
            }
            w.WriteEndObject();
        }
        return (result, any ? System.Text.Encoding.UTF8.GetString(buffer.ToArray()) : null);
    }

    /// <summary>
    /// <paramref name="tensors"/> with every deflated tensor that <paramref name="json"/> lists replaced by its inflated
    /// form (sizes, dtypes and finiteness checked: a corrupt or truncated stream fails naming the tensor).
    /// </summary>
    public static List<SafeTensor> Inflate(List<SafeTensor> tensors, string json, string source)
    {
        Dictionary<string, (SafeTensorDType DType, int[] Shape)> listed;
        try
        {
            listed = ParseListing(json, source);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelFormatException(source, $"'{MetadataKey}' is not valid: {e.Message}", e);
        }
        var result = new List<SafeTensor>(tensors.Count);
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (name, (dtype, shape)) in listed)
        {
            if (byName.ContainsKey(name))
                throw new ModelFormatException(source, $"tensor '{name}' is stored both raw and deflated ('{name}{Suffix}').");
            if (!byName.TryGetValue(name + Suffix, out var packed))
                throw new ModelFormatException(source, $"'{MetadataKey}' lists '{name}', but the file has no tensor '{name}{Suffix}'.");
            if (packed.DType != SafeTensorDType.U8 || packed.Shape.Length != 1)
                throw new ModelFormatException(source, $"'{packed.Name}' is {packed.DType.ToHeaderName()} [{string.Join(", ", packed.ShapeArray())}], expected a U8 vector (a zlib stream).");
        }
        foreach (var t in tensors)
        {
            if (!t.Name.EndsWith(Suffix, StringComparison.Ordinal) || !listed.TryGetValue(t.Name[..^Suffix.Length], out var entry))
            {
                result.Add(t);
                continue;
            }
            string name = t.Name[..^Suffix.Length];
            long elements = 1;
            foreach (int d in entry.Shape) elements *= d;
            long bytes = elements * entry.DType.Size();
            if (bytes > Array.MaxLength)
                throw new ModelFormatException(source, $"deflated tensor '{name}' claims {bytes} bytes: corrupt.");
            byte[] raw = PackedVocabulary.Decompress(t.Data.Span, (int)bytes, t.Name, source);
            var inflated = new SafeTensor(name, entry.DType, entry.Shape, raw);
            long bad = TensorIntegrity.FirstNonFinite(inflated);
            if (bad >= 0)
                throw new ModelFormatException(source, $"tensor '{name}' holds a non-finite value (NaN or infinity) at element {bad}; the weights are unusable (a diverged training run, or a corrupt file)");
            result.Add(inflated);
        }
        return result;
    }

    private static Dictionary<string, (SafeTensorDType, int[])> ParseListing(string json, string source)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(source, $"'{MetadataKey}' must be a JSON object {{\"NAME\": {{\"dtype\": …, \"shape\": […]}}}}.");
        var result = new Dictionary<string, (SafeTensorDType, int[])>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Object || !p.Value.TryGetProperty("dtype", out var d) || d.ValueKind != JsonValueKind.String
                || !SafeTensorDTypeExtensions.TryParseHeaderName(d.GetString()!, out var dtype)
                || !p.Value.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array)
                throw new ModelFormatException(source, $"'{MetadataKey}': entry '{p.Name}' needs a known \"dtype\" and a \"shape\" array, got {p.Value.GetRawText()}.");
            var shape = new int[s.GetArrayLength()];
            int i = 0;
            foreach (var e in s.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out shape[i]) || shape[i] < 0)
                    throw new ModelFormatException(source, $"'{MetadataKey}': entry '{p.Name}' has a shape dimension {e.GetRawText()}, not a non-negative integer.");
                i++;
            }
            result[p.Name] = (dtype, shape);
        }
        return result;
    }
}
