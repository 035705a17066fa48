using System.Text;
using System.Text.Json;

namespace TinyLM.Text;

/// <summary>
/// The llama / llama2.c tokenizer: a vocabulary of byte-string pieces with merge scores, encoded the way
/// llama2.c's <c>encode</c> does it — optional BOS, a dummy " " prefix (sentencepiece's add_dummy_prefix),
/// one piece per UTF-8 character (or its <c>&lt;0xXX&gt;</c> byte pieces when the character is not in the
/// vocabulary), then repeatedly merging the adjacent pair whose concatenation is the highest-scoring piece.
/// Pieces keep llama2.c's spelling: a space is a plain " " (not sentencepiece's "▁") and BOS/EOS are the
/// control pieces at ids 1 and 2, <c>&lt;unk&gt;</c> at id 0.
/// </summary>
public sealed class LlamaTokenizer : ITokenizer
{
    internal const string KindName = "llama";

    private const int FormatVersion = 1;

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly Encoding _lenientUtf8 = Encoding.UTF8;

    private readonly byte[][] _pieces;
    private readonly float[] _scores;
    private readonly Dictionary<string, int> _lookup; // piece bytes as a Latin-1 string → first id with those bytes
    private readonly int[] _byteIds = new int[256];   // id of "<0xXX>", or -1
    private readonly int _spaceId;

    /// <summary>A tokenizer over <paramref name="pieces"/> (UTF-8 bytes each) with merge <paramref name="scores"/>.</summary>
    /// <param name="bosId">Id of the beginning-of-sequence control piece (llama2.c: 1).</param>
    /// <param name="eosId">Id of the end-of-sequence control piece (llama2.c: 2).</param>
    /// <param name="unknownId">Id of <c>&lt;unk&gt;</c> (llama2.c: 0), used when even byte fallback has no piece.</param>
    public LlamaTokenizer(IReadOnlyList<byte[]> pieces, IReadOnlyList<float> scores, int bosId = 1, int eosId = 2, int unknownId = 0)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(scores);
        if (pieces.Count != scores.Count)
            throw new ArgumentException($"LlamaTokenizer: {pieces.Count} pieces but {scores.Count} scores.");
        foreach (int id in (ReadOnlySpan<int>)[bosId, eosId, unknownId])
        {
            if ((uint)id >= (uint)pieces.Count)
                throw new ArgumentOutOfRangeException(nameof(pieces), $"LlamaTokenizer: special id {id} is outside the vocabulary of {pieces.Count} pieces.");
        }
        _pieces = new byte[pieces.Count][];
        _scores = [.. scores];
        _lookup = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        Array.Fill(_byteIds, -1);
        for (int i = 0; i < _pieces.Length; i++)
        {
            _pieces[i] = pieces[i] is { } p ? [.. p] : throw new ArgumentException($"LlamaTokenizer: piece {i} is null.");
            if (!float.IsFinite(_scores[i]))
                throw new ArgumentException($"LlamaTokenizer: piece {i} has a non-finite score {_scores[i]}.");
            _lookup.TryAdd(Latin1(_pieces[i]), i);
            if (TryParseBytePiece(_pieces[i], out byte b) && _byteIds[b] < 0)
                _byteIds[b] = i;
        }
        BosId = bosId;
        EosId = eosId;
        UnknownId = unknownId;
        _spaceId = _lookup.TryGetValue(" ", out int s) ? s : -1;
    }

    public string Kind => KindName;

    public int VocabSize => _pieces.Length;

    /// <summary>llama vocabularies reserve no padding id.</summary>
    public int? PadId => null;

    public int BosId { get; }

    public int EosId { get; }

    public int UnknownId { get; }

    /// <summary>The UTF-8 bytes of piece <paramref name="id"/> as stored (byte pieces read "&lt;0xXX&gt;").</summary>
    public ReadOnlySpan<byte> Piece(int id) => _pieces[CheckId(id)];

    /// <summary>Merge score of piece <paramref name="id"/>.</summary>
    public float Score(int id) => _scores[CheckId(id)];

    /// <summary>Whether <paramref name="id"/> is BOS, EOS or unknown: pieces that decode to nothing.</summary>
    public bool IsControl(int id) => id == BosId || id == EosId || id == UnknownId;

    /// <summary>Whether <paramref name="id"/> is a byte-fallback piece <c>&lt;0xXX&gt;</c>; <paramref name="value"/> is its byte.</summary>
    public bool IsBytePiece(int id, out byte value) => TryParseBytePiece(_pieces[CheckId(id)], out value);

    /// <summary>
    /// Encodes without BOS or EOS (like the other tokenizers; the language model's BosId adds BOS
    /// for generation). llama2.c's generate encodes a prompt as <c>Encode(text, addBos: true, addEos: false)</c>.
    /// </summary>
    public int[] Encode(string text) => Encode(text, addBos: false, addEos: false);

    public int[] Encode(string text, bool addBos, bool addEos)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes;
        try
        {
            bytes = _strictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"LlamaTokenizer.Encode: the text is not valid Unicode (a lone surrogate at index {ex.Index}).", nameof(text), ex);
        }
        var tokens = new List<int>(bytes.Length + 3);
        if (addBos) tokens.Add(BosId);
        if (bytes.Length > 0 && _spaceId >= 0) tokens.Add(_spaceId);
        for (int start = 0; start < bytes.Length;)
        {
            // One UTF-8 character: a lead byte and its continuation bytes (at most 4 bytes, as llama2.c).
            int end = start + 1;
            while (end < bytes.Length && (bytes[end] & 0xC0) == 0x80 && end - start < 4) end++;
            if (_lookup.TryGetValue(Latin1(bytes.AsSpan(start, end - start)), out int id))
            {
                tokens.Add(id);
            }
            else
            {
                for (int i = start; i < end; i++)
                    tokens.Add(_byteIds[bytes[i]] >= 0 ? _byteIds[bytes[i]] : UnknownId);
            }
            start = end;
        }
        MergePairs(tokens, addBos ? 1 : 0);
        if (addEos) tokens.Add(EosId);
        return [.. tokens];
    }

    private void MergePairs(List<int> tokens, int first)
    {
        while (true)
        {
            float bestScore = float.NegativeInfinity;
            int bestId = -1, bestIndex = -1;
            for (int i = first; i + 1 < tokens.Count; i++)
            {
                string merged = Latin1(_pieces[tokens[i]]) + Latin1(_pieces[tokens[i + 1]]);
                if (_lookup.TryGetValue(merged, out int id) && _scores[id] > bestScore)
                {
                    bestScore = _scores[id];
                    bestId = id;
                    bestIndex = i;
                }
            }
            if (bestIndex < 0) return;
            tokens[bestIndex] = bestId;
            tokens.RemoveAt(bestIndex + 1);
        }
    }

    /// <summary>
    /// The bytes of the ids: control pieces give nothing, byte pieces their byte, and a piece right after BOS
    /// loses its leading space (the dummy prefix), as llama2.c's decode does.
    /// </summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        int previous = -1;
        foreach (int id in ids)
        {
            byte[] piece = _pieces[CheckId(id)];
            if (IsControl(id))
            {
                previous = id;
                continue;
            }
            if (TryParseBytePiece(piece, out byte b))
            {
                bytes.Add(b);
            }
            else
            {
                int skip = previous == BosId && piece.Length > 0 && piece[0] == (byte)' ' ? 1 : 0;
                bytes.AddRange(piece.AsSpan(skip));
            }
            previous = id;
        }
        return [.. bytes];
    }

    /// <summary>Text of the ids; bytes that are not valid UTF-8 (a character cut between tokens) become U+FFFD.</summary>
    public string Decode(ReadOnlySpan<int> ids) => _lenientUtf8.GetString(DecodeBytes(ids));

    public string ToJson() => JsonSerializer.Serialize(new LlamaTokenizerState
    {
        Type = KindName,
        Version = FormatVersion,
        BosId = BosId,
        EosId = EosId,
        UnknownId = UnknownId,
        Pieces = [.. _pieces.Select(Convert.ToBase64String)],
        Scores = [.. _scores],
    }, TextJsonContext.Default.LlamaTokenizerState);

    public static LlamaTokenizer FromJson(string json, string source = "tokenizer")
    {
        LlamaTokenizerState s = Tokenizers.Deserialize(json, TextJsonContext.Default.LlamaTokenizerState, source);
        Tokenizers.CheckHeader(source, s.Type, s.Version, KindName, FormatVersion);
        if (s.Pieces is null || s.Scores is null)
            throw new DataFormatException(source, 0, "llama tokenizer JSON needs \"pieces\" and \"scores\" arrays.");
        try
        {
            var pieces = new byte[s.Pieces.Count][];
            for (int i = 0; i < pieces.Length; i++)
                pieces[i] = Convert.FromBase64String(s.Pieces[i] ?? throw new ArgumentException($"piece {i} is null."));
            return new LlamaTokenizer(pieces, s.Scores, s.BosId, s.EosId, s.UnknownId);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new DataFormatException(source, 0, $"llama tokenizer: {ex.Message}", ex);
        }
    }

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)_pieces.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"LlamaTokenizer: id {id} is outside the vocabulary [0, {VocabSize}).");
        return id;
    }

    private static bool TryParseBytePiece(ReadOnlySpan<byte> piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece[0] == (byte)'<' && piece[1] == (byte)'0' && piece[2] == (byte)'x' && piece[5] == (byte)'>'
            && byte.TryParse(piece.Slice(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    // Latin-1 maps each byte to one char, so byte strings compare and concatenate exactly as in C.
    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
