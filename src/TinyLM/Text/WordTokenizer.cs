using System.Text;
using System.Text.Json;

namespace TinyLM.Text;

/// <summary>
/// Word tokenizer in the Keras spirit: lower-case, replace filter characters by spaces, split on
/// whitespace, keep the most frequent words. Id 0 is reserved for padding; when an OOV token is
/// configured it takes id 1 and unknown (or capped-away) words map to it, otherwise they are dropped.
/// </summary>
public sealed class WordTokenizer : ITokenizer
{
    internal const string KindName = "word";

    /// <summary>The Keras default filter set: punctuation, tab and newline (the apostrophe is kept).</summary>
    public const string DefaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

    private const int FormatVersion = 1;

    private readonly HashSet<char> _filterSet;
    private readonly Dictionary<string, int> _wordToId = new(StringComparer.Ordinal);
    private readonly List<string> _words = [];

    /// <param name="numWords">Cap on <see cref="VocabSize"/> (padding and OOV included, as in Keras); null keeps every word.</param>
    /// <param name="oovToken">Token for unknown words (id 1), or null to drop unknown words.</param>
    /// <param name="lower">Lower-case the text first (invariant culture).</param>
    /// <param name="filters">Characters replaced by a space before splitting; null means <see cref="DefaultFilters"/>.</param>
    public WordTokenizer(int? numWords = null, string? oovToken = null, bool lower = true, string? filters = null)
    {
        int reserved = oovToken is null ? 1 : 2;
        if (numWords is int n && n <= reserved)
            throw new ArgumentOutOfRangeException(nameof(numWords), n, $"numWords must exceed the {reserved} reserved id(s) (padding{(oovToken is null ? "" : " and OOV")}).");
        if (oovToken is not null && (oovToken.Length == 0 || oovToken.Any(char.IsWhiteSpace)))
            throw new ArgumentException($"OOV token \"{oovToken}\" must be non-empty and contain no whitespace.", nameof(oovToken));
        NumWords = numWords;
        OovToken = oovToken;
        Lower = lower;
        Filters = filters ?? DefaultFilters;
        _filterSet = [.. Filters];
    }

    public string Kind => KindName;

    public int? NumWords { get; }

    public string? OovToken { get; }

    public bool Lower { get; }

    public string Filters { get; }

    public int? PadId => 0;

    /// <summary>Id of the OOV token, or null when unknown words are dropped.</summary>
    public int? OovId => OovToken is null ? null : 1;

    public int VocabSize => FirstWordId + _words.Count;

    /// <summary>Word → id for every kept word (OOV token included when configured).</summary>
    public IReadOnlyDictionary<string, int> WordIndex => _wordToId;

    private int FirstWordId => OovToken is null ? 1 : 2;

    /// <summary>
    /// Builds the vocabulary from a corpus, replacing any previous one. Words are ranked by
    /// frequency (descending), ties by ordinal string order, so the result does not depend on
    /// the order of the texts.
    /// </summary>
    public WordTokenizer Fit(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string text in texts)
        {
            foreach (string word in Tokenize(text))
                counts[word] = counts.TryGetValue(word, out long c) ? c + 1 : 1;
        }
        if (OovToken is not null)
            counts.Remove(OovToken);
        var ranked = counts.ToList();
        ranked.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        int keep = NumWords is int n ? Math.Min(ranked.Count, n - FirstWordId) : ranked.Count;
        SetWords(ranked.Take(keep).Select(p => p.Key));
        return this;
    }

    /// <summary>
    /// A tokenizer with the same settings, no cap, and exactly <paramref name="words"/> (in id order after the
    /// reserved ids). Entries may hold spaces (e.g. word bigrams "a b"): <see cref="Encode"/> never produces
    /// them, callers look them up in <see cref="WordIndex"/>.
    /// </summary>
    public WordTokenizer WithWords(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var result = new WordTokenizer(null, OovToken, Lower, Filters);
        var list = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string w in words)
        {
            if (string.IsNullOrEmpty(w) || w == OovToken || !seen.Add(w))
                throw new ArgumentException($"WordTokenizer.WithWords: word #{list.Count} \"{w}\" is empty, the OOV token or a repeat.", nameof(words));
            list.Add(w);
        }
        result.SetWords(list);
        return result;
    }

    private void SetWords(IEnumerable<string> words)
    {
        _words.Clear();
        _wordToId.Clear();
        if (OovToken is not null)
            _wordToId[OovToken] = 1;
        foreach (string w in words)
        {
            _wordToId.Add(w, FirstWordId + _words.Count);
            _words.Add(w);
        }
    }

    /// <summary>Splits text into words the way <see cref="Fit"/> and <see cref="Encode"/> see it.</summary>
    public List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var sb = new StringBuilder();
        foreach (char raw in text)
        {
            char c = Lower ? char.ToLowerInvariant(raw) : raw;
            if (char.IsWhiteSpace(c) || _filterSet.Contains(c))
            {
                if (sb.Length > 0)
                {
                    words.Add(sb.ToString());
                    sb.Clear();
                }
            }
            else
            {
                sb.Append(c);
            }
        }
        if (sb.Length > 0)
            words.Add(sb.ToString());
        return words;
    }

    public int[] Encode(string text)
    {
        List<string> words = Tokenize(text);
        var ids = new List<int>(words.Count);
        foreach (string w in words)
        {
            if (_wordToId.TryGetValue(w, out int id))
                ids.Add(id);
            else if (OovToken is not null)
                ids.Add(1);
        }
        return [.. ids];
    }

    public int[][] EncodeBatch(IEnumerable<string> texts) => [.. texts.Select(Encode)];

    /// <summary>
    /// fastText-style bag input: the unigram ids followed by one hashed id per adjacent word pair,
    /// in [VocabSize, VocabSize + buckets). Pairs are hashed from the words themselves (FNV-1a),
    /// so two different unknown words never share a bigram by accident of mapping to OOV.
    /// </summary>
    public int[] EncodeWithBigrams(string text, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buckets);
        List<string> words = Tokenize(text);
        var ids = new List<int>(words.Count * 2);
        foreach (string w in words)
        {
            if (_wordToId.TryGetValue(w, out int id))
                ids.Add(id);
            else if (OovToken is not null)
                ids.Add(1);
        }
        for (int i = 0; i + 1 < words.Count; i++)
            ids.Add(VocabSize + NGramHashing.BigramBucket(words[i], words[i + 1], buckets));
        return [.. ids];
    }

    /// <summary>The word for an id; padding decodes to "" and ids outside the vocabulary throw.</summary>
    public string IdToWord(int id)
    {
        if (id == 0)
            return "";
        if (OovToken is not null && id == 1)
            return OovToken;
        int index = id - FirstWordId;
        if ((uint)index >= (uint)_words.Count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"WordTokenizer: id {id} is outside the vocabulary [0, {VocabSize}).");
        return _words[index];
    }

    /// <summary>Words joined by single spaces; padding ids are skipped.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            if (id == 0)
                continue;
            if (sb.Length > 0)
                sb.Append(' ');
            sb.Append(IdToWord(id));
        }
        return sb.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(new WordTokenizerState
    {
        Type = KindName,
        Version = FormatVersion,
        NumWords = NumWords,
        OovToken = OovToken,
        Lower = Lower,
        Filters = Filters,
        Words = [.. _words],
    }, TextJsonContext.Default.WordTokenizerState);

    public static WordTokenizer FromJson(string json, string source = "tokenizer")
    {
        WordTokenizerState s = Tokenizers.Deserialize(json, TextJsonContext.Default.WordTokenizerState, source);
        Tokenizers.CheckHeader(source, s.Type, s.Version, KindName, FormatVersion);
        if (s.Words is null)
            throw new DataFormatException(source, 0, "word tokenizer JSON has no \"words\" array.");
        WordTokenizer t;
        try
        {
            t = new WordTokenizer(s.NumWords, s.OovToken, s.Lower, s.Filters);
        }
        catch (ArgumentException ex)
        {
            throw new DataFormatException(source, 0, $"invalid word tokenizer settings: {ex.Message}", ex);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < s.Words.Count; i++)
        {
            string? w = s.Words[i];
            if (string.IsNullOrEmpty(w))
                throw new DataFormatException(source, 0, $"word tokenizer: words[{i}] is empty.");
            if (!seen.Add(w) || w == s.OovToken)
                throw new DataFormatException(source, 0, $"word tokenizer: words[{i}] \"{w}\" appears twice.");
        }
        if (s.NumWords is int n && t.FirstWordId + s.Words.Count > n)
            throw new DataFormatException(source, 0, $"word tokenizer: {s.Words.Count} words exceed num_words = {n}.");
        t.SetWords(s.Words);
        return t;
    }
}
