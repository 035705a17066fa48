using System.Globalization;
using System.Text.Json;

namespace TinyLM.IO;

/// <summary>
/// The TinyLM model file (".tlm"): a plain safetensors file whose "__metadata__" carries the
/// format version, model kind, config JSON, tokenizer JSON and label list under "tinylm.*" keys.
/// Any safetensors tool (Python's safetensors, candle, transformers) can open the weights; TinyLM
/// additionally checks the metadata, so a foreign file, a truncated one or one from a newer
/// TinyLM fails with a message that says which.
/// </summary>
public static class ModelFile
{
    /// <summary>
    /// The layout version this build writes and the newest it reads. Version 2 stores a word tokenizer's
    /// vocabulary as a packed tensor (see <see cref="PackedVocabulary"/>) instead of a JSON array in the header;
    /// saving with <see cref="ModelFileContents.FormatVersion"/> = 1 still writes the version 1 layout.
    /// Files that hold zlib-deflated tensors are written as version <see cref="NewestFormatVersion"/>.
    /// </summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>
    /// The newest layout this build reads: version 3 may hold zlib-deflated tensors (see <see cref="DeflatedTensors"/>),
    /// and only files that do are written as version 3, so that every other file still loads in builds that read version 2.
    /// </summary>
    public const int NewestFormatVersion = DeflatedTensors.FirstFormatVersion;

    /// <summary>Conventional file extension.</summary>
    public const string Extension = ".tlm";

    public const string VersionKey = "tinylm.format_version";
    public const string KindKey = "tinylm.kind";
    public const string ConfigKey = "tinylm.config";
    public const string TokenizerKey = "tinylm.tokenizer";
    public const string LabelsKey = "tinylm.labels";
    /// <summary>How the weights are quantized (JSON); absent for float32 models. Passed through in <see cref="ModelFileContents.Metadata"/>.</summary>
    public const string QuantizationKey = "tinylm.quantization";

    private const string ReservedPrefix = "tinylm.";

    /// <summary>Writes <paramref name="contents"/> atomically: the old file survives any failure.</summary>
    public static void Save(string path, ModelFileContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        Dictionary<string, string> metadata = BuildMetadata(contents);
        IEnumerable<SafeTensor> tensors = contents.Tensors;
        if (contents.FormatVersion >= PackedVocabulary.FirstFormatVersion && PackedVocabulary.TryPack(contents.TokenizerJson) is (string json, SafeTensor words))
        {
            if (contents.TryGetTensor(words.Name, out _))
                throw new ArgumentException($"tensor name '{words.Name}' is reserved for the packed vocabulary");
            metadata[TokenizerKey] = json;
            tensors = [.. contents.Tensors, words];
        }

        var written = tensors.ToList();
        if (contents.DeflateTensors && contents.FormatVersion >= PackedVocabulary.FirstFormatVersion)
        {
            (written, string? deflated) = DeflatedTensors.Deflate(written);
            if (deflated is not null)
            {
                metadata[DeflatedTensors.MetadataKey] = deflated;
                metadata[VersionKey] = DeflatedTensors.FirstFormatVersion.ToString(CultureInfo.InvariantCulture);
            }
        }
        metadata[TensorIntegrity.ChecksumsKey] = TensorIntegrity.ChecksumsJson(written);
        SafeTensorsFile.Write(path, written, metadata);
    }

    /// <summary>Reads and validates a model file.</summary>
    public static ModelFileContents Load(string path)
    {
        byte[] bytes = SafeTensorsFile.ReadAllBytesChecked(path);
        SafeTensorsFile file;
        try
        {
            file = SafeTensorsFile.Parse(bytes, path);
        }
        catch (ModelFormatException ex)
        {
            throw new ModelFormatException(path, $"not a valid TinyLM model file: {ex.Problem}", ex);
        }

        return FromSafeTensors(file, path);
    }

    /// <summary>Interprets an already parsed safetensors file as a model file.</summary>
    public static ModelFileContents FromSafeTensors(SafeTensorsFile file, string source)
    {
        ArgumentNullException.ThrowIfNull(file);
        IReadOnlyDictionary<string, string> md = file.Metadata;
        if (!md.TryGetValue(VersionKey, out string? versionText))
        {
            throw new ModelFormatException(source, $"a safetensors file but not a TinyLM model file (no '{VersionKey}' in __metadata__)");
        }

        if (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
        {
            throw new ModelFormatException(source, $"'{VersionKey}' is '{versionText}', not a positive integer");
        }

        if (version > NewestFormatVersion)
        {
            throw new ModelFormatException(source, $"format version {version} is newer than this TinyLM reads (up to {NewestFormatVersion}); upgrade TinyLM to load it");
        }

        // Before any tensor is interpreted: corrupt bytes and non-finite weights fail here, naming the tensor.
        TensorIntegrity.VerifyChecksums(file, source, version);
        TensorIntegrity.VerifyFinite(file, source);

        string kindText = Require(md, KindKey, source);
        if (!ModelKindExtensions.TryParseFileName(kindText, out ModelKind kind))
        {
            throw new ModelFormatException(source, $"unknown model kind '{kindText}' (expected classifier, causal-lm or seq2seq)");
        }

        string config = RequireJson(md, ConfigKey, source);
        string tokenizer = RequireJson(md, TokenizerKey, source);
        string[] labels = ParseLabels(Require(md, LabelsKey, source), source);
        var tensors = new List<SafeTensor>(file.Tensors);
        if (version >= PackedVocabulary.FirstFormatVersion
            && PackedVocabulary.TryUnpack(tokenizer, name => file.TryGetTensor(name, out SafeTensor t) ? t : null, source, out string unpacked, out string packedName))
        {
            tokenizer = unpacked;
            tensors.RemoveAll(t => t.Name == packedName);
        }

        if (version >= DeflatedTensors.FirstFormatVersion && md.TryGetValue(DeflatedTensors.MetadataKey, out string? deflatedJson))
            tensors = DeflatedTensors.Inflate(tensors, deflatedJson, source);

        var extra = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> kv in md)
        {
            if (!kv.Key.StartsWith(ReservedPrefix, StringComparison.Ordinal) || kv.Key == QuantizationKey) extra.Add(kv.Key, kv.Value);
        }

        return new ModelFileContents
        {
            Kind = kind,
            FormatVersion = version,
            ConfigJson = config,
            TokenizerJson = tokenizer,
            Labels = labels,
            Metadata = extra,
            Tensors = tensors,
        };
    }

    private static Dictionary<string, string> BuildMetadata(ModelFileContents c)
    {
        if (c.FormatVersion < 1 || c.FormatVersion > CurrentFormatVersion)
        {
            throw new ArgumentException($"format version {c.FormatVersion} cannot be written; this build writes 1..{CurrentFormatVersion}", nameof(c));
        }

        ArgumentNullException.ThrowIfNull(c.ConfigJson);
        ArgumentNullException.ThrowIfNull(c.TokenizerJson);
        ArgumentNullException.ThrowIfNull(c.Labels);
        ArgumentNullException.ThrowIfNull(c.Metadata);
        CheckJson(c.ConfigJson, "config JSON");
        CheckJson(c.TokenizerJson, "tokenizer JSON");

        var md = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> kv in c.Metadata)
        {
            if (kv.Key.StartsWith(ReservedPrefix, StringComparison.Ordinal) && kv.Key != QuantizationKey)
            {
                throw new ArgumentException($"metadata key '{kv.Key}' is reserved: keys starting '{ReservedPrefix}' belong to the model file format");
            }

            md.Add(kv.Key, kv.Value);
        }

        md[VersionKey] = c.FormatVersion.ToString(CultureInfo.InvariantCulture);
        md[KindKey] = c.Kind.ToFileName();
        md[ConfigKey] = c.ConfigJson;
        md[TokenizerKey] = c.TokenizerJson;
        md[LabelsKey] = LabelsToJson(c.Labels);
        return md;
    }

    private static string LabelsToJson(IReadOnlyList<string> labels)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            foreach (string label in labels) w.WriteStringValue(label ?? throw new ArgumentException("a label is null"));
            w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    private static string[] ParseLabels(string json, string source)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ModelFormatException(source, $"'{LabelsKey}' must be a JSON array of strings");
            }

            var labels = new string[doc.RootElement.GetArrayLength()];
            int i = 0;
            foreach (JsonElement e in doc.RootElement.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String) throw new ModelFormatException(source, $"'{LabelsKey}'[{i}] is {e.ValueKind}, not a string");
                labels[i++] = e.GetString()!;
            }

            return labels;
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(source, $"'{LabelsKey}' is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string Require(IReadOnlyDictionary<string, string> md, string key, string source) =>
        md.TryGetValue(key, out string? value) ? value : throw new ModelFormatException(source, $"missing '{key}' in __metadata__");

    private static string RequireJson(IReadOnlyDictionary<string, string> md, string key, string source)
    {
        string value = Require(md, key, source);
        try
        {
            using JsonDocument _ = JsonDocument.Parse(value);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(source, $"'{key}' is not valid JSON: {ex.Message}", ex);
        }

        return value;
    }

    private static void CheckJson(string json, string what)
    {
        try
        {
            using JsonDocument _ = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }
}
