using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TinyLM.Text;

/// <summary>
/// Character tokenizer for char-level language models: the vocabulary is the corpus's distinct
/// Unicode scalar values sorted by code point (nanoGPT's <c>sorted(set(text))</c>), preceded by
/// optional special tokens. A character outside the vocabulary maps to <c>&lt;unk&gt;</c> when
/// that special exists, otherwise encoding throws.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    internal const string KindName = "char";

    public const string UnknownToken = "<unk>";

    public const string PadToken = "<pad>";

    private const int FormatVersion = 1;

    private readonly string[] _specials;
    private readonly string[] _chars;
    private readonly Dictionary<int, int> _runeToId = [];

    private CharTokenizer(string[] specials, string[] chars)
    {
        _specials = specials;
        _chars = chars;
        for (int i = 0; i < chars.Length; i++)
            _runeToId.Add(Rune.GetRuneAt(chars[i], 0).Value, specials.Length + i);
        int unk = Array.IndexOf(specials, UnknownToken);
        UnknownId = unk >= 0 ? unk : null;
        int pad = Array.IndexOf(specials, PadToken);
        PadId = pad >= 0 ? pad : null;
    }

    /// <summary>Vocabulary of the distinct characters of <paramref name="corpus"/>.</summary>
    /// <param name="specials">Special tokens given the first ids (e.g. "&lt;pad&gt;", "&lt;unk&gt;"); none by default.</param>
    public static CharTokenizer Fit(string corpus, IReadOnlyList<string>? specials = null) => Fit([corpus], specials);

    public static CharTokenizer Fit(IEnumerable<string> texts, IReadOnlyList<string>? specials = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var set = new SortedSet<int>();
        foreach (string text in texts)
        {
            foreach (Rune r in text.EnumerateRunes())
                set.Add(r.Value);
        }
        string[] sp = ValidateSpecials(specials ?? [], "specials");
        return new CharTokenizer(sp, [.. set.Select(v => new Rune(v).ToString())]);
    }

    private static string[] ValidateSpecials(IReadOnlyList<string> specials, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string s in specials)
        {
            if (string.IsNullOrEmpty(s) || !seen.Add(s))
                throw new ArgumentException($"CharTokenizer: {what} must be non-empty and distinct; got \"{s}\".");
        }
        return [.. specials];
    }

    public string Kind => KindName;

    public int VocabSize => _specials.Length + _chars.Length;

    public int? PadId { get; }

    public int? UnknownId { get; }

    public IReadOnlyList<string> Specials => _specials;

    /// <summary>The characters in id order (after the specials).</summary>
    public IReadOnlyList<string> Chars => _chars;

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        int pos = 0;
        foreach (Rune r in text.EnumerateRunes())
        {
            if (_runeToId.TryGetValue(r.Value, out int id))
                ids.Add(id);
            else if (UnknownId is int unk)
                ids.Add(unk);
            else
                throw new ArgumentException($"CharTokenizer: character U+{r.Value:X4} '{r}' at position {pos} is not in the vocabulary ({_chars.Length} characters) and there is no {UnknownToken} token.", nameof(text));
            pos += r.Utf16SequenceLength;
        }
        return [.. ids];
    }

    /// <summary>Characters concatenated; special tokens decode to nothing.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder(ids.Length);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"CharTokenizer: id {id} is outside the vocabulary [0, {VocabSize}).");
            if (id >= _specials.Length)
                sb.Append(_chars[id - _specials.Length]);
        }
        return sb.ToString();
    }

    /// <summary>The token string of an id (specials by name).</summary>
    public string IdToToken(int id)
    {
        if ((uint)id >= (uint)VocabSize)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"CharTokenizer: id {id} is outside the vocabulary [0, {VocabSize}).");
        return id < _specials.Length ? _specials[id] : _chars[id - _specials.Length];
    }

    public string ToJson() => JsonSerializer.Serialize(new CharTokenizerState
    {
        Type = KindName,
        Version = FormatVersion,
        Specials = [.. _specials],
        Chars = [.. _chars],
    }, TextJsonContext.Default.CharTokenizerState);

    public static CharTokenizer FromJson(string json, string source = "tokenizer")
    {
        CharTokenizerState s = Tokenizers.Deserialize(json, TextJsonContext.Default.CharTokenizerState, source);
        Tokenizers.CheckHeader(source, s.Type, s.Version, KindName, FormatVersion);
        if (s.Chars is null)
            throw new DataFormatException(source, 0, "char tokenizer JSON has no \"chars\" array.");
        return FromParts(s.Specials ?? [], s.Chars, source);
    }

    /// <summary>
    /// The tokenizer whose ids are <paramref name="specials"/> then <paramref name="chars"/> (each exactly one Unicode
    /// character, distinct), as another file format stores them (a GGUF character vocabulary); bad parts are a
    /// <see cref="DataFormatException"/> naming <paramref name="source"/>.
    /// </summary>
    public static CharTokenizer FromParts(IReadOnlyList<string> specials, IReadOnlyList<string?> chars, string source)
    {
        ArgumentNullException.ThrowIfNull(specials);
        ArgumentNullException.ThrowIfNull(chars);
        string[] sp;
        try
        {
            sp = ValidateSpecials(specials, "specials");
        }
        catch (ArgumentException ex)
        {
            throw new DataFormatException(source, 0, ex.Message, ex);
        }
        var seen = new HashSet<int>();
        var result = new string[chars.Count];
        for (int i = 0; i < chars.Count; i++)
        {
            string? c = chars[i];
            if (string.IsNullOrEmpty(c) || Rune.DecodeFromUtf16(c, out Rune r, out int used) != System.Buffers.OperationStatus.Done || used != c.Length)
                throw new DataFormatException(source, 0, $"char tokenizer: chars[{i}] must be exactly one Unicode character, got \"{c}\".");
            if (!seen.Add(r.Value))
                throw new DataFormatException(source, 0, $"char tokenizer: chars[{i}] U+{r.Value.ToString("X4", CultureInfo.InvariantCulture)} appears twice.");
            result[i] = c;
        }
        return new CharTokenizer(sp, result);
    }
}
