using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// Text → token ids exactly as a classifier was trained: word ids, cut to the maximum length at the
/// configured side, then (when buckets are configured) hashed word-bigram ids appended after the vocabulary.
/// </summary>
public sealed class ClassifierInputs(TextClassifierConfig config, ITokenizer tokenizer)
{
    // What stands for a text with no known token: the word tokenizer's OOV id, else padding.
    private readonly int _unknown = (tokenizer as WordTokenizer)?.OovId ?? 0;

    /// <summary>Number of embedding rows the ids can address.</summary>
    public int EmbeddingRows => tokenizer.VocabSize + config.BigramBuckets;

    public int[] Encode(string text)
    {
        if (config.WordBigrams) return WithWordBigrams(text);
        var words = tokenizer.Encode(text);
        if (words.Length == 0) return [_unknown]; // an all-filtered text still needs one position
        if (words.Length > config.MaxLength)
            words = config.Truncation == TruncationSide.End ? words[..config.MaxLength] : words[^config.MaxLength..];
        return config.BigramBuckets > 0 ? WithBigrams(words) : words;
    }

    public int[][] EncodeAll(IReadOnlyList<string> texts)
    {
        var result = new int[texts.Count][];
        for (int i = 0; i < result.Length; i++) result[i] = Encode(texts[i]);
        return result;
    }

    // Word ids (unknown words → OOV), cut like the plain path, then the id of every adjacent pair the vocabulary knows.
    private int[] WithWordBigrams(string text)
    {
        var words = tokenizer as WordTokenizer ?? throw new InvalidOperationException($"ClassifierInputs: word bigrams need a word tokenizer, got {tokenizer.Kind}.");
        var tokens = words.Tokenize(text);
        if (tokens.Count > config.MaxLength)
            tokens = config.Truncation == TruncationSide.End ? tokens[..config.MaxLength] : tokens[^config.MaxLength..];
        if (tokens.Count == 0) return [_unknown];
        var index = words.WordIndex;
        int oov = _unknown;
        var ids = new List<int>(2 * tokens.Count);
        foreach (var w in tokens) ids.Add(index.TryGetValue(w, out int id) ? id : oov);
        for (int i = 0; i + 1 < tokens.Count; i++)
            if (index.TryGetValue(BigramKey(tokens[i], tokens[i + 1]), out int id)) ids.Add(id);
        return [.. ids];
    }

    /// <summary>How a word bigram is spelled in the vocabulary.</summary>
    public static string BigramKey(string first, string second) => first + " " + second;

    // Hash of the two word ids (a multiplicative mix, as fastText does for n-grams), stable across runs.
    private int BigramBucket(int a, int b)
    {
        ulong h = (ulong)(uint)a * 116_049_371UL + (uint)b;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 32;
        return (int)(h % (ulong)config.BigramBuckets);
    }

    // Unigrams first, then one hashed id per adjacent pair, so truncation keeps whole unigram context first.
    private int[] WithBigrams(int[] words)
    {
        if (words.Length < 2) return words;
        var ids = new int[2 * words.Length - 1];
        words.CopyTo(ids, 0);
        for (int i = 0; i + 1 < words.Length; i++)
            ids[words.Length + i] = tokenizer.VocabSize + BigramBucket(words[i], words[i + 1]);
        return ids;
    }
}
