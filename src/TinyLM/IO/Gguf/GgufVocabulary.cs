using System.Text;
using TinyLM.Text;

namespace TinyLM.IO;

/// <summary>
/// The tokenizer as llama.cpp's sentencepiece-style ("llama") vocabulary describes it: token strings with
/// "▁" (U+2581) for a space, merge scores, token kinds and the special ids.
/// </summary>
public sealed record GgufVocabulary(
    string[] Tokens,           // token text, "▁" for a space
    float[] Scores,            // merge scores (higher merges first)
    int[] TokenTypes,          // GgufTokenType values
    int? BosId,                // beginning of sequence, or null
    int? EosId,                // end of sequence, or null
    int? UnknownId,            // unknown token, or null
    bool AddBos,               // llama.cpp prepends BOS when tokenizing
    bool AddSpacePrefix)       // llama.cpp prepends a space when tokenizing (sentencepiece's dummy prefix)
{
    /// <summary>sentencepiece's visible space.</summary>
    public const char SpaceMarker = '\u2581';

    /// <summary>The vocabulary of a llama2.c / llama tokenizer (exact: the pieces round-trip through <see cref="ToLlamaTokenizer"/>).</summary>
    public static GgufVocabulary FromLlama(LlamaTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int n = tokenizer.VocabSize;
        var tokens = new string[n];
        var scores = new float[n];
        var types = new int[n];
        for (int i = 0; i < n; i++)
        {
            tokens[i] = Encoding.UTF8.GetString(tokenizer.Piece(i)).Replace(' ', SpaceMarker);
            scores[i] = tokenizer.Score(i);
            types[i] = (int)(i == tokenizer.UnknownId ? GgufTokenType.Unknown
                : tokenizer.IsControl(i) ? GgufTokenType.Control
                : tokenizer.IsBytePiece(i, out _) ? GgufTokenType.Byte
                : GgufTokenType.Normal);
        }
        return new GgufVocabulary(tokens, scores, types, tokenizer.BosId, tokenizer.EosId, tokenizer.UnknownId, AddBos: true, AddSpacePrefix: true);
    }

    /// <summary>
    /// A character vocabulary: each character is one token (a space is "▁"), special tokens are control tokens,
    /// and llama.cpp is told to add neither BOS nor a space prefix, so its tokenizer splits text into single
    /// characters as ours does (characters outside the vocabulary have no byte fallback there).
    /// </summary>
    public static GgufVocabulary FromChar(CharTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int n = tokenizer.VocabSize, specials = tokenizer.Specials.Count;
        var tokens = new string[n];
        var types = new int[n];
        for (int i = 0; i < n; i++)
        {
            tokens[i] = i < specials ? tokenizer.Specials[i] : tokenizer.Chars[i - specials].Replace(' ', SpaceMarker);
            types[i] = (int)(i < specials ? GgufTokenType.Control : GgufTokenType.Normal);
        }
        return new GgufVocabulary(tokens, new float[n], types, null, null, tokenizer.UnknownId, AddBos: false, AddSpacePrefix: false);
    }

    /// <summary>
    /// The tokenizer this vocabulary describes: a <see cref="CharTokenizer"/> for the character vocabulary
    /// <see cref="FromChar"/> writes (no BOS or EOS, no BOS or space prefix added, control tokens first, then one token
    /// per character), else a <see cref="LlamaTokenizer"/>.
    /// </summary>
    public ITokenizer ToTokenizer(string source) =>
        IsCharVocabulary() ? ToCharTokenizer(source) : ToLlamaTokenizer(source);

    /// <summary>Whether this is a character vocabulary as <see cref="FromChar"/> writes it.</summary>
    public bool IsCharVocabulary()
    {
        if (BosId is not null || EosId is not null || AddBos || AddSpacePrefix) return false;
        int i = 0;
        while (i < Tokens.Length && TokenTypes[i] == (int)GgufTokenType.Control) i++;
        if (i == Tokens.Length) return false;
        for (; i < Tokens.Length; i++)
        {
            if (TokenTypes[i] != (int)GgufTokenType.Normal) return false;
            string t = Tokens[i];
            if (t.Length == 0 || System.Text.Rune.DecodeFromUtf16(t, out _, out int used) != System.Buffers.OperationStatus.Done || used != t.Length)
                return false;
        }
        return true;
    }

    /// <summary>Back to the <see cref="CharTokenizer"/> <see cref="FromChar"/> described ("▁" is a space again).</summary>
    public CharTokenizer ToCharTokenizer(string source)
    {
        if (!IsCharVocabulary())
            throw new ModelFormatException(source, "GGUF vocabulary is not a character vocabulary (control tokens, then one normal token per character, no BOS/EOS).");
        int specials = 0;
        while (TokenTypes[specials] == (int)GgufTokenType.Control) specials++;
        var chars = new string[Tokens.Length - specials];
        for (int i = 0; i < chars.Length; i++) chars[i] = Tokens[specials + i].Replace(SpaceMarker, ' ');
        try
        {
            return CharTokenizer.FromParts(Tokens[..specials], chars, source);
        }
        catch (DataFormatException ex)
        {
            throw new ModelFormatException(source, $"GGUF character vocabulary: {ex.Problem}", ex);
        }
    }

    /// <summary>Back to a <see cref="LlamaTokenizer"/>; needs BOS, EOS and unknown ids.</summary>
    public LlamaTokenizer ToLlamaTokenizer(string source)
    {
        if (BosId is not { } bos || EosId is not { } eos || UnknownId is not { } unk)
            throw new ModelFormatException(source, "GGUF vocabulary lacks a BOS, EOS or unknown token id, so it is not a llama tokenizer.");
        var pieces = new byte[Tokens.Length][];
        for (int i = 0; i < pieces.Length; i++) pieces[i] = Encoding.UTF8.GetBytes(Tokens[i].Replace(SpaceMarker, ' '));
        try
        {
            return new LlamaTokenizer(pieces, Scores, bos, eos, unk);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFormatException(source, $"GGUF vocabulary: {ex.Message}", ex);
        }
    }

    internal void AddTo(GgufWriter writer)
    {
        if (Scores.Length != Tokens.Length || TokenTypes.Length != Tokens.Length)
            throw new ArgumentException($"GgufVocabulary: {Tokens.Length} tokens, {Scores.Length} scores, {TokenTypes.Length} types.");
        writer.Add("tokenizer.ggml.model", "llama");
        writer.Add("tokenizer.ggml.tokens", Tokens);
        writer.Add("tokenizer.ggml.scores", Scores);
        writer.Add("tokenizer.ggml.token_type", TokenTypes);
        if (BosId is { } b) writer.Add("tokenizer.ggml.bos_token_id", (uint)b);
        if (EosId is { } e) writer.Add("tokenizer.ggml.eos_token_id", (uint)e);
        if (UnknownId is { } u) writer.Add("tokenizer.ggml.unknown_token_id", (uint)u);
        writer.Add("tokenizer.ggml.add_bos_token", AddBos);
        writer.Add("tokenizer.ggml.add_eos_token", false);
        writer.Add("tokenizer.ggml.add_space_prefix", AddSpacePrefix);
    }

    internal static GgufVocabulary? From(GgufFile file)
    {
        if (!file.Metadata.TryGetValue("tokenizer.ggml.model", out object? model)) return null;
        if (model is not "llama")
            throw new ModelFormatException(file.Source, $"GGUF tokenizer model \"{model}\" is not supported (only \"llama\").");
        string[] tokens = file.Get<string[]>("tokenizer.ggml.tokens");
        float[] scores = file.Metadata.TryGetValue("tokenizer.ggml.scores", out object? s) && s is float[] sc ? sc : new float[tokens.Length];
        int[] types = file.Metadata.TryGetValue("tokenizer.ggml.token_type", out object? t) && t is int[] ty ? ty : new int[tokens.Length];
        if (scores.Length != tokens.Length || types.Length != tokens.Length)
            throw new ModelFormatException(file.Source, $"GGUF vocabulary: {tokens.Length} tokens but {scores.Length} scores and {types.Length} token types.");
        return new GgufVocabulary(tokens, scores, types, Id(file, "bos"), Id(file, "eos"), Id(file, "unknown"),
            file.Metadata.TryGetValue("tokenizer.ggml.add_bos_token", out object? ab) && ab is true,
            !file.Metadata.TryGetValue("tokenizer.ggml.add_space_prefix", out object? sp) || sp is true);
    }

    private static int? Id(GgufFile file, string which) =>
        file.Metadata.TryGetValue($"tokenizer.ggml.{which}_token_id", out object? v) && v is uint u ? (int)u : null;
}
