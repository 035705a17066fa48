using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TinyLM.Text;

/// <summary>Loads any tokenizer from the JSON written by <see cref="ITokenizer.ToJson"/>.</summary>
public static class Tokenizers
{
    /// <summary>Reads the <c>type</c> field and dispatches to the matching tokenizer.</summary>
    public static ITokenizer FromJson(string json, string source = "tokenizer")
    {
        TypeOnlyState head = Deserialize(json, TextJsonContext.Default.TypeOnlyState, source);
        return head.Type switch
        {
            WordTokenizer.KindName => WordTokenizer.FromJson(json, source),
            CharTokenizer.KindName => CharTokenizer.FromJson(json, source),
            ByteBpeTokenizer.KindName => ByteBpeTokenizer.FromJson(json, source),
            LlamaTokenizer.KindName => LlamaTokenizer.FromJson(json, source),
            null => throw new DataFormatException(source, 0, "tokenizer JSON has no \"type\" field (expected \"word\", \"char\" or \"bytebpe\")."),
            _ => throw new DataFormatException(source, 0, $"unknown tokenizer type \"{head.Type}\" (expected \"word\", \"char\" or \"bytebpe\")."),
        };
    }

    internal static T Deserialize<T>(string json, JsonTypeInfo<T> info, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize(json, info)
                ?? throw new DataFormatException(source, 0, "tokenizer JSON is null.");
        }
        catch (JsonException ex)
        {
            int line = ex.LineNumber is long l ? (int)l + 1 : 0;
            throw new DataFormatException(source, line, $"invalid tokenizer JSON: {ex.Message}", ex);
        }
    }

    internal static void CheckHeader(string source, string type, int version, string expectedType, int maxVersion)
    {
        if (type != expectedType)
            throw new DataFormatException(source, 0, $"tokenizer type is \"{type}\", expected \"{expectedType}\".");
        if (version < 1 || version > maxVersion)
            throw new DataFormatException(source, 0, $"{expectedType} tokenizer version {version} is not supported (this build reads versions 1..{maxVersion}).");
    }
}
