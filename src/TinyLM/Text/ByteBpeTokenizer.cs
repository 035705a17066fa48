using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace TinyLM.Text;

/// <summary>
/// Byte-level BPE (GPT-2 family). Ids: the special tokens first (by default &lt;pad&gt;=0,
/// &lt;bos&gt;=1, &lt;eos&gt;=2), then the 256 byte values, then one id per learned merge in the
/// order learned. Any text encodes (no unknown token is needed) and decoding the ids of a text
/// gives back exactly that text.
/// </summary>
public sealed class ByteBpeTokenizer : ITokenizer
{
    internal const string KindName = "bytebpe";

    public const string PadToken = "<pad>";
    public const string BosToken = "<bos>";
    public const string EosToken = "<eos>";

    private const int FormatVersion = 1;
    private const int MaxCachedChunks = 1 << 17;

    private static readonly UTF8Encoding _lenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly string[] _specials;
    private readonly (int Left, int Right)[] _merges;
    private readonly Dictionary<long, int> _mergeRank = [];
    private readonly byte[][] _tokenBytes;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private ByteBpeTokenizer(string[] specials, (int, int)[] merges)
    {
        _specials = specials;
        _merges = merges;
        int byteBase = specials.Length;
        _tokenBytes = new byte[byteBase + 256 + merges.Length][];
        for (int i = 0; i < byteBase; i++)
            _tokenBytes[i] = Encoding.UTF8.GetBytes(specials[i]);
        for (int b = 0; b < 256; b++)
            _tokenBytes[byteBase + b] = [(byte)b];
        for (int m = 0; m < merges.Length; m++)
        {
            (int l, int r) = merges[m];
            _mergeRank[Key(l, r)] = m;
            _tokenBytes[byteBase + 256 + m] = [.. _tokenBytes[l], .. _tokenBytes[r]];
        }
        PadId = IndexOrNull(PadToken);
        BosId = IndexOrNull(BosToken);
        EosId = IndexOrNull(EosToken);
    }

    private int? IndexOrNull(string token)
    {
        int i = Array.IndexOf(_specials, token);
        return i >= 0 ? i : null;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>The default special tokens: &lt;pad&gt;, &lt;bos&gt;, &lt;eos&gt;.</summary>
    public static IReadOnlyList<string> DefaultSpecials { get; } = [PadToken, BosToken, EosToken];

    /// <summary>
    /// Learns merges from a corpus until the vocabulary reaches <paramref name="vocabSize"/> or the
    /// best remaining pair occurs fewer than <paramref name="minFrequency"/> times.
    /// </summary>
    public static ByteBpeTokenizer Train(IEnumerable<string> texts, int vocabSize, int minFrequency = 2, IReadOnlyList<string>? specials = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        string[] sp = ValidateSpecials(specials ?? DefaultSpecials);
        int baseSize = sp.Length + 256;
        if (vocabSize < baseSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"vocabSize must be at least {baseSize} ({sp.Length} specials + 256 bytes).");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minFrequency);
        List<(int, int)> merges = BpeTrainer.Train(texts, sp.Length, vocabSize - baseSize, minFrequency);
        return new ByteBpeTokenizer(sp, [.. merges]);
    }

    /// <summary>A tokenizer with no merges (pure bytes), handy as a baseline.</summary>
    public static ByteBpeTokenizer BytesOnly(IReadOnlyList<string>? specials = null) =>
        new(ValidateSpecials(specials ?? DefaultSpecials), []);

    private static string[] ValidateSpecials(IReadOnlyList<string> specials)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string s in specials)
        {
            if (string.IsNullOrEmpty(s) || !seen.Add(s))
                throw new ArgumentException($"ByteBpeTokenizer: special tokens must be non-empty and distinct; got \"{s}\".");
        }
        return [.. specials];
    }

    public string Kind => KindName;

    public int VocabSize => _tokenBytes.Length;

    public int? PadId { get; }

    public int? BosId { get; }

    public int? EosId { get; }

    public IReadOnlyList<string> Specials => _specials;

    public int MergeCount => _merges.Length;

    /// <summary>Id of byte value 0; byte b has id ByteBase + b.</summary>
    public int ByteBase => _specials.Length;

    /// <summary>The learned merges in order: merge m creates id ByteBase + 256 + m.</summary>
    public IReadOnlyList<(int Left, int Right)> Merges => _merges;

    /// <summary>The bytes a token stands for (a special token gives its name in UTF-8).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        if ((uint)id >= (uint)_tokenBytes.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"ByteBpeTokenizer: id {id} is outside the vocabulary [0, {VocabSize}).");
        return _tokenBytes[id];
    }

    public int[] Encode(string text) => Encode(text, addBos: false, addEos: false);

    /// <summary>Encodes text literally (special-token names in the text are ordinary bytes).</summary>
    public int[] Encode(string text, bool addBos, bool addEos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos)
            ids.Add(BosId ?? throw new InvalidOperationException($"ByteBpeTokenizer has no {BosToken} special token."));
        var chunks = new List<(int Start, int Length)>();
        ByteLevelPreTokenizer.Split(text, chunks);
        foreach ((int start, int length) in chunks)
            ids.AddRange(EncodeChunk(text.Substring(start, length)));
        if (addEos)
            ids.Add(EosId ?? throw new InvalidOperationException($"ByteBpeTokenizer has no {EosToken} special token."));
        return [.. ids];
    }

    private int[] EncodeChunk(string chunk)
    {
        if (_cache.TryGetValue(chunk, out int[]? cached))
            return cached;
        byte[] bytes = Encoding.UTF8.GetBytes(chunk);
        var symbols = new List<int>(bytes.Length);
        foreach (byte b in bytes)
            symbols.Add(ByteBase + b);
        // Apply the earliest-learned applicable merge until none applies, as in training.
        while (symbols.Count > 1)
        {
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (_mergeRank.TryGetValue(Key(symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                    bestRank = rank;
            }
            if (bestRank == int.MaxValue)
                break;
            (int a, int b2) = _merges[bestRank];
            int z = ByteBase + 256 + bestRank;
            int write = 0;
            for (int read = 0; read < symbols.Count; read++)
            {
                if (read + 1 < symbols.Count && symbols[read] == a && symbols[read + 1] == b2)
                {
                    symbols[write++] = z;
                    read++;
                }
                else
                {
                    symbols[write++] = symbols[read];
                }
            }
            symbols.RemoveRange(write, symbols.Count - write);
        }
        int[] result = [.. symbols];
        if (_cache.Count < MaxCachedChunks)
            _cache.TryAdd(chunk, result);
        return result;
    }

    /// <summary>The raw bytes of the ids; special tokens contribute nothing.</summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> tb = TokenBytes(id);
            if (id >= ByteBase)
                bytes.AddRange(tb);
        }
        return [.. bytes];
    }

    /// <summary>
    /// Text of the ids; special tokens are skipped. Byte sequences that are not valid UTF-8 (e.g. a
    /// multi-byte character cut between generated tokens) decode to U+FFFD.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids) => _lenientUtf8.GetString(DecodeBytes(ids));

    public string ToJson() => JsonSerializer.Serialize(new ByteBpeTokenizerState
    {
        Type = KindName,
        Version = FormatVersion,
        Specials = [.. _specials],
        Merges = [.. _merges.Select(m => new[] { m.Left, m.Right })],
    }, TextJsonContext.Default.ByteBpeTokenizerState);

    public static ByteBpeTokenizer FromJson(string json, string source = "tokenizer")
    {
        ByteBpeTokenizerState s = Tokenizers.Deserialize(json, TextJsonContext.Default.ByteBpeTokenizerState, source);
        Tokenizers.CheckHeader(source, s.Type, s.Version, KindName, FormatVersion);
        if (s.Merges is null)
            throw new DataFormatException(source, 0, "bytebpe tokenizer JSON has no \"merges\" array.");
        string[] specials;
        try
        {
            specials = ValidateSpecials(s.Specials ?? []);
        }
        catch (ArgumentException ex)
        {
            throw new DataFormatException(source, 0, ex.Message, ex);
        }
        var merges = new (int, int)[s.Merges.Count];
        var seen = new HashSet<long>();
        for (int m = 0; m < merges.Length; m++)
        {
            int[]? pair = s.Merges[m];
            int limit = specials.Length + 256 + m;
            if (pair is null || pair.Length != 2)
                throw new DataFormatException(source, 0, $"bytebpe tokenizer: merges[{m}] must be a pair [left, right].");
            if (pair[0] < specials.Length || pair[0] >= limit || pair[1] < specials.Length || pair[1] >= limit)
                throw new DataFormatException(source, 0, $"bytebpe tokenizer: merges[{m}] = [{pair[0]}, {pair[1]}] must use ids in [{specials.Length}, {limit}) (bytes or earlier merges).");
            if (!seen.Add(Key(pair[0], pair[1])))
                throw new DataFormatException(source, 0, $"bytebpe tokenizer: merges[{m}] = [{pair[0]}, {pair[1]}] appears twice.");
            merges[m] = (pair[0], pair[1]);
        }
        return new ByteBpeTokenizer(specials, merges);
    }
}
