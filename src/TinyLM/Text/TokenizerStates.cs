using System.Text.Json.Serialization;

namespace TinyLM.Text;

// Plain data shapes of the tokenizer JSON files. Kept separate from the tokenizers so the
// on-disk format is visible in one place and serialised by source generation (AOT-safe).

internal sealed class WordTokenizerState
{
    public string Type { get; set; } = "";
    public int Version { get; set; }
    public int? NumWords { get; set; }
    public string? OovToken { get; set; }
    public bool Lower { get; set; }
    public string Filters { get; set; } = "";
    public List<string>? Words { get; set; }
}

internal sealed class CharTokenizerState
{
    public string Type { get; set; } = "";
    public int Version { get; set; }
    public List<string>? Specials { get; set; }
    public List<string>? Chars { get; set; }
}

internal sealed class ByteBpeTokenizerState
{
    public string Type { get; set; } = "";
    public int Version { get; set; }
    public List<string>? Specials { get; set; }
    public List<int[]>? Merges { get; set; }
}

internal sealed class LlamaTokenizerState
{
    public string Type { get; set; } = "";
    public int Version { get; set; }
    public int BosId { get; set; }
    public int EosId { get; set; }
    public int UnknownId { get; set; }
    public List<string>? Pieces { get; set; }
    public List<float>? Scores { get; set; }
}

internal sealed class TypeOnlyState
{
    public string? Type { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WordTokenizerState))]
[JsonSerializable(typeof(CharTokenizerState))]
[JsonSerializable(typeof(ByteBpeTokenizerState))]
[JsonSerializable(typeof(LlamaTokenizerState))]
[JsonSerializable(typeof(TypeOnlyState))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class TextJsonContext : JsonSerializerContext;
