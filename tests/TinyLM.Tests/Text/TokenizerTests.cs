using System.Text;
using TinyLM.Text;

namespace TinyLM.Tests.Text;

public class TokenizerTests
{
    [Fact]
    public void Word_tokenizer_lowercases_filters_punctuation_and_keeps_apostrophes()
    {
        var t = new WordTokenizer();
        Assert.Equal(["hello", "world", "don't", "stop"], t.Tokenize("Hello, World!\tDon't  (stop)."));
    }

    [Fact]
    public void Word_tokenizer_ranks_by_frequency_then_ordinal_and_reserves_padding()
    {
        var t = new WordTokenizer().Fit(["b a c", "a b", "a d"]);
        // a:3, b:2, c:1, d:1 → c before d by ordinal order.
        Assert.Equal(1, t.WordIndex["a"]);
        Assert.Equal(2, t.WordIndex["b"]);
        Assert.Equal(3, t.WordIndex["c"]);
        Assert.Equal(4, t.WordIndex["d"]);
        Assert.Equal(5, t.VocabSize);
        Assert.Equal(0, t.PadId);
        Assert.Equal([1, 2, 4], t.Encode("A b zzz d")); // unknown dropped without an OOV token
        Assert.Equal("a b d", t.Decode([0, 1, 2, 4]));
    }

    [Fact]
    public void Word_tokenizer_fit_does_not_depend_on_text_order()
    {
        string[] texts = ["x y z", "y z", "z w", "w x"];
        var a = new WordTokenizer().Fit(texts);
        var b = new WordTokenizer().Fit(texts.Reverse());
        Assert.Equal(a.ToJson(), b.ToJson());
    }

    [Fact]
    public void Word_tokenizer_num_words_caps_vocab_and_maps_rest_to_oov()
    {
        var t = new WordTokenizer(numWords: 4, oovToken: "<oov>").Fit(["a a a b b c d"]);
        Assert.Equal(4, t.VocabSize); // pad, oov, a, b
        Assert.Equal(1, t.OovId);
        Assert.Equal([2, 3, 1, 1, 1], t.Encode("a b c d never"));
        Assert.Equal("a <oov>", t.Decode([2, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.IdToWord(4));
    }

    [Fact]
    public void Word_tokenizer_rejects_num_words_that_leave_no_room()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WordTokenizer(numWords: 2, oovToken: "<oov>"));
    }

    [Fact]
    public void Word_tokenizer_round_trips_through_json()
    {
        var t = new WordTokenizer(numWords: 10, oovToken: "<unk>", filters: "!.").Fit(["Hello there. General Kenobi!", "hello hello"]);
        var u = (WordTokenizer)Tokenizers.FromJson(t.ToJson());
        Assert.Equal(t.VocabSize, u.VocabSize);
        Assert.Equal(t.Encode("hello general, unknown"), u.Encode("hello general, unknown"));
        Assert.Equal(t.Filters, u.Filters);
        Assert.Equal(t.ToJson(), u.ToJson());
    }

    [Fact]
    public void Bigram_hashing_appends_deterministic_bucket_ids()
    {
        var t = new WordTokenizer().Fit(["good movie", "bad movie"]);
        int[] ids = t.EncodeWithBigrams("good movie really", buckets: 100);
        Assert.Equal(2 + 2, ids.Length); // 2 known unigrams + 2 bigrams
        Assert.All(ids[2..], id => Assert.InRange(id, t.VocabSize, t.VocabSize + 99));
        Assert.Equal(t.VocabSize + NGramHashing.BigramBucket("good", "movie", 100), ids[2]);
        Assert.NotEqual(NGramHashing.BigramBucket("good", "movie", 1 << 20), NGramHashing.BigramBucket("movie", "good", 1 << 20));
    }

    [Fact]
    public void Fnv1a_matches_published_test_vectors()
    {
        Assert.Equal(0x811C9DC5u, NGramHashing.Fnv1a(""));
        Assert.Equal(0xE40C292Cu, NGramHashing.Fnv1a("a"));
        Assert.Equal(0xBF9CF968u, NGramHashing.Fnv1a("foobar"));
    }

    [Fact]
    public void Char_tokenizer_sorts_distinct_characters()
    {
        var t = CharTokenizer.Fit("hello world");
        Assert.Equal([" ", "d", "e", "h", "l", "o", "r", "w"], t.Chars);
        Assert.Null(t.PadId);
        int[] ids = t.Encode("hold");
        Assert.Equal([3, 5, 4, 1], ids);
        Assert.Equal("hold", t.Decode(ids));
        var ex = Assert.Throws<ArgumentException>(() => t.Encode("hex"));
        Assert.Contains("U+0078", ex.Message);
    }

    [Fact]
    public void Char_tokenizer_handles_surrogate_pairs_specials_and_json()
    {
        var t = CharTokenizer.Fit("a😀b", [CharTokenizer.PadToken, CharTokenizer.UnknownToken]);
        Assert.Equal(5, t.VocabSize);
        Assert.Equal(0, t.PadId);
        Assert.Equal(1, t.UnknownId);
        Assert.Equal([2, 4, 1, 3], t.Encode("a😀zb"));
        var u = (CharTokenizer)Tokenizers.FromJson(t.ToJson());
        Assert.Equal("a😀b", u.Decode(u.Encode("a😀b")));
        Assert.Equal(t.Chars, u.Chars);
    }

    [Fact]
    public void Pretokenizer_tiles_the_text_and_attaches_one_space_to_words()
    {
        string text = "Hello  world,42 x\n\ny  ";
        var spans = new List<(int Start, int Length)>();
        ByteLevelPreTokenizer.Split(text, spans);
        string[] chunks = [.. spans.Select(s => text.Substring(s.Start, s.Length))];
        Assert.Equal(["Hello", " ", " world", ",", "42", " x", "\n\n", "y", "  "], chunks);
        Assert.Equal(text, string.Concat(chunks));
    }

    [Fact]
    public void Bpe_learns_most_frequent_pair_first_with_deterministic_ties()
    {
        // "ab" occurs 3 times in distinct words; "cd" twice.
        var t = ByteBpeTokenizer.Train(["ab ab ab cd cd"], vocabSize: 3 + 256 + 1, minFrequency: 1);
        Assert.Equal(1, t.MergeCount);
        Assert.Equal((3 + 'a', 3 + 'b'), t.Merges[0]);
        int[] ids = t.Encode("ab");
        Assert.Equal([3 + 256], ids);
        Assert.Equal("ab"u8.ToArray(), t.TokenBytes(ids[0]).ToArray());
    }

    [Fact]
    public void Bpe_training_matches_a_naive_recount_reference()
    {
        string corpus = MakeCorpus(3000, seed: 7);
        var fast = ByteBpeTokenizer.Train([corpus], vocabSize: 3 + 256 + 60, minFrequency: 2);
        List<(int, int)> reference = NaiveBpe(corpus, 60, byteBase: 3, minFrequency: 2);
        Assert.Equal(reference, fast.Merges);
    }

    [Fact]
    public void Bpe_round_trips_any_text_and_stops_at_min_frequency()
    {
        string corpus = MakeCorpus(2000, seed: 3) + " naïve café 東京 😀😀 \t\r\n end";
        var t = ByteBpeTokenizer.Train([corpus], vocabSize: 1000, minFrequency: 3);
        Assert.True(t.VocabSize < 1000); // ran out of pairs seen three times
        foreach (string s in new[] { corpus, "", " ", "unseen ∑ words\u0000 𝄞", "  leading and trailing  " })
            Assert.Equal(s, t.Decode(t.Encode(s)));
        int[] withSpecials = t.Encode("hi", addBos: true, addEos: true);
        Assert.Equal(t.BosId, withSpecials[0]);
        Assert.Equal(t.EosId, withSpecials[^1]);
        Assert.Equal("hi", t.Decode(withSpecials));
    }

    [Fact]
    public void Bpe_decodes_partial_utf8_to_replacement_characters()
    {
        var t = ByteBpeTokenizer.BytesOnly();
        int[] ids = t.Encode("é"); // two bytes
        Assert.Equal(2, ids.Length);
        Assert.Equal("\uFFFD", t.Decode(ids[..1]));
        Assert.Equal(Encoding.UTF8.GetBytes("é"), t.DecodeBytes(ids));
    }

    [Fact]
    public void Bpe_json_round_trip_and_validation()
    {
        var t = ByteBpeTokenizer.Train([MakeCorpus(1000, seed: 1)], vocabSize: 300);
        var u = (ByteBpeTokenizer)Tokenizers.FromJson(t.ToJson());
        Assert.Equal(t.Merges, u.Merges);
        Assert.Equal(t.Encode("the quick brown"), u.Encode("the quick brown"));

        string bad = """{"type":"bytebpe","version":1,"specials":["<pad>"],"merges":[[1,2],[1,300]]}""";
        var ex = Assert.Throws<DataFormatException>(() => Tokenizers.FromJson(bad, "tok.json"));
        Assert.Contains("merges[1]", ex.Message);
        Assert.StartsWith("tok.json", ex.Message);
        Assert.Throws<DataFormatException>(() => Tokenizers.FromJson("""{"type":"bytebpe","version":9,"merges":[]}"""));
        Assert.Throws<DataFormatException>(() => Tokenizers.FromJson("""{"type":"sentencepiece"}"""));
        Assert.Throws<DataFormatException>(() => Tokenizers.FromJson("{not json"));
    }

    [Fact]
    public void Bpe_training_is_deterministic()
    {
        string corpus = MakeCorpus(5000, seed: 11);
        var a = ByteBpeTokenizer.Train([corpus], 500);
        var b = ByteBpeTokenizer.Train([corpus], 500);
        Assert.Equal(a.ToJson(), b.ToJson());
    }

    internal static string MakeCorpus(int words, ulong seed)
    {
        string[] vocab = ["the", "a", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "then", "runs", "away",
            "quickly", "thereafter", "brownish", "foxes", "dogs", "42", "1999", ",", ".", "!", "over-the-top"];
        var sb = new StringBuilder();
        ulong s = seed;
        for (int i = 0; i < words; i++)
        {
            s = s * 6364136223846793005UL + 1442695040888963407UL;
            int k = (int)((s >> 33) % (ulong)vocab.Length);
            int k2 = (int)((s >> 20) % (ulong)vocab.Length);
            sb.Append(vocab[Math.Min(k, k2)]); // skewed frequencies
            sb.Append((s >> 60) == 0 ? "\n" : " ");
        }
        return sb.ToString();
    }

    /// <summary>Textbook BPE: recount every pair after every merge.</summary>
    private static List<(int, int)> NaiveBpe(string corpus, int merges, int byteBase, int minFrequency)
    {
        var spans = new List<(int Start, int Length)>();
        ByteLevelPreTokenizer.Split(corpus, spans);
        var words = spans.Select(s => Encoding.UTF8.GetBytes(corpus.Substring(s.Start, s.Length)).Select(b => byteBase + b).ToList()).ToList();
        var result = new List<(int, int)>();
        int next = byteBase + 256;
        for (int m = 0; m < merges; m++)
        {
            var counts = new Dictionary<(int, int), int>();
            foreach (List<int> w in words)
            {
                for (int i = 0; i + 1 < w.Count; i++)
                    counts[(w[i], w[i + 1])] = counts.GetValueOrDefault((w[i], w[i + 1])) + 1;
            }
            if (counts.Count == 0)
                break;
            var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First();
            if (best.Value < minFrequency)
                break;
            result.Add(best.Key);
            int z = next++;
            foreach (List<int> w in words)
            {
                for (int i = 0; i + 1 < w.Count; i++)
                {
                    if (w[i] == best.Key.Item1 && w[i + 1] == best.Key.Item2)
                    {
                        w[i] = z;
                        w.RemoveAt(i + 1);
                    }
                }
            }
        }
        return result;
    }
}
