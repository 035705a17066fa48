using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TinyLM.IO;

/// <summary>
/// The load-time integrity checks of a <c>.tlm</c> file's tensors: a checksum per tensor (so a flipped bit on disk or
/// in a download fails with the tensor's name instead of running a silently different model) and a finite check of
/// float weights (a NaN or infinity makes every prediction NaN, which no later step reports).
/// </summary>
/// <remarks>
/// The checksums travel in the <c>tinylm.checksums</c> metadata entry (a JSON object: tensor name → the first 16 hex
/// digits of its data's SHA-256). The entry is optional, so files written before it existed load as before (unchecked),
/// and older TinyLM builds read new files unchanged: they pass over <c>tinylm.*</c> keys they do not know. No format
/// version change is needed in either direction.
/// </remarks>
public static class TensorIntegrity
{
    public const string ChecksumsKey = "tinylm.checksums";

    // 64 bits of SHA-256 find corruption with certainty for practical purposes and keep the header short; this is not a
    // signature (anyone who can edit the weights can edit the header).
    private const int DigestHexDigits = 16;

    /// <summary>The checksums entry for <paramref name="tensors"/>, names in ordinal order so a file's bytes are reproducible.</summary>
    public static string ChecksumsJson(IEnumerable<SafeTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            foreach (SafeTensor t in sorted) w.WriteString(t.Name, Digest(t.Data.Span));
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    /// <summary>
    /// Verifies every tensor against the checksums entry when the file has one; fails naming the file, the tensor and
    /// the format version when a tensor's bytes changed, or when the entry and the tensors disagree on which exist.
    /// </summary>
    public static void VerifyChecksums(SafeTensorsFile file, string source, int formatVersion)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Metadata.TryGetValue(ChecksumsKey, out string? json)) return; // written before checksums existed
        var expected = ParseChecksums(json, source);
        foreach (SafeTensor t in file.Tensors)
        {
            if (!expected.Remove(t.Name, out string? digest))
                throw new ModelFormatException(source, $"tensor '{t.Name}' has no entry in '{ChecksumsKey}' (format version {formatVersion}): the file was altered after it was written");
            string actual = Digest(t.Data.Span);
            if (!string.Equals(actual, digest, StringComparison.OrdinalIgnoreCase))
                throw new ModelFormatException(source, $"tensor '{t.Name}' is corrupt: its bytes have checksum {actual}, the file recorded {digest} (format version {formatVersion}); re-download or re-create the file");
        }

        if (expected.Count > 0)
            throw new ModelFormatException(source, $"'{ChecksumsKey}' lists tensor '{expected.Keys.First()}', which the file does not hold (format version {formatVersion})");
    }

    /// <summary>Fails naming the file, the tensor and the element when a float tensor holds a NaN or an infinity.</summary>
    public static void VerifyFinite(SafeTensorsFile file, string source)
    {
        ArgumentNullException.ThrowIfNull(file);
        foreach (SafeTensor t in file.Tensors)
        {
            long bad = FirstNonFinite(t);
            if (bad >= 0)
                throw new ModelFormatException(source, $"tensor '{t.Name}' holds a non-finite value (NaN or infinity) at element {bad}; the weights are unusable (a diverged training run, or a corrupt file)");
        }
    }

    // Index of the first NaN/infinity, or -1. Works on the exponent bits, so no conversion to float is needed.
    internal static long FirstNonFinite(SafeTensor t)
    {
        ReadOnlySpan<byte> b = t.Data.Span;
        switch (t.DType)
        {
            case SafeTensorDType.F32:
                for (int i = 0; i + 4 <= b.Length; i += 4)
                    if ((BinaryPrimitives.ReadUInt32LittleEndian(b[i..]) & 0x7F80_0000u) == 0x7F80_0000u) return i / 4;
                return -1;
            case SafeTensorDType.F16:
                for (int i = 0; i + 2 <= b.Length; i += 2)
                    if ((BinaryPrimitives.ReadUInt16LittleEndian(b[i..]) & 0x7C00) == 0x7C00) return i / 2;
                return -1;
            case SafeTensorDType.BF16:
                for (int i = 0; i + 2 <= b.Length; i += 2)
                    if ((BinaryPrimitives.ReadUInt16LittleEndian(b[i..]) & 0x7F80) == 0x7F80) return i / 2;
                return -1;
            case SafeTensorDType.F64:
                for (int i = 0; i + 8 <= b.Length; i += 8)
                    if ((BinaryPrimitives.ReadUInt64LittleEndian(b[i..]) & 0x7FF0_0000_0000_0000ul) == 0x7FF0_0000_0000_0000ul) return i / 8;
                return -1;
            default:
                return -1;
        }
    }

    private static string Digest(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash[..(DigestHexDigits / 2)]);
    }

    private static Dictionary<string, string> ParseChecksums(string json, string source)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException(source, $"'{ChecksumsKey}' must be a JSON object of tensor name → checksum");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || !result.TryAdd(p.Name, p.Value.GetString()!))
                    throw new ModelFormatException(source, $"'{ChecksumsKey}' entry '{p.Name}' is not a single checksum string");
            }

            return result;
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(source, $"'{ChecksumsKey}' is not valid JSON: {ex.Message}", ex);
        }
    }
}
