using TinyLM.Training;

namespace TinyLM.Tests.Training.Metrics;

/// <summary>
/// Published sacreBLEU values (README and its test suite: test_bleu.py, test_sentence_bleu.py)
/// plus values printed by sacreBLEU 2.x run from source on the cases marked "sacreBLEU run".
/// </summary>
public class BleuTests
{
    private static readonly string[] Hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];

    private static readonly IReadOnlyList<string?>[] Refs =
    [
        ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
        ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
    ];

    [Fact]
    public void Readme_example_matches_published_score_and_line()
    {
        BleuScore bleu = Bleu.CorpusScore(Hyps, Refs);
        Assert.Equal(48.530827, bleu.Score, 6);
        Assert.Equal("BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)", bleu.ToString());
    }

    [Theory]
    [InlineData(BleuTokenization.None, BleuSmoothing.Exp, 49.1919566)]
    [InlineData(BleuTokenization.Tok13a, BleuSmoothing.None, 48.530827)]
    public void Published_corpus_variants(BleuTokenization tokenize, BleuSmoothing smoothing, double expected)
    {
        Assert.Equal(expected, Bleu.CorpusScore(Hyps, Refs, new BleuOptions { Tokenize = tokenize, Smoothing = smoothing }).Score, 6);
    }

    [Theory]
    [InlineData(1, "77.65")]
    [InlineData(2, "60.50")]
    [InlineData(3, "53.93")]
    [InlineData(5, "46.14")]
    [InlineData(6, "43.28")]
    public void Published_max_ngram_orders(int order, string expected)
    {
        double score = Bleu.CorpusScore(Hyps, Refs, new BleuOptions { MaxNgramOrder = order }).Score;
        Assert.Equal(expected, score.ToString("F2", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Empty_hypotheses_score_zero()
    {
        Assert.Equal(0.0, Bleu.CorpusScore(["", "", ""], Refs).Score);
    }

    [Fact]
    public void Published_statistics_and_scoring()
    {
        // test_bleu.py: "am I am a character sequence" vs "I am a symbol string sequence a a".
        BleuScore s = Bleu.CorpusScore(["am I am a character sequence"], ["I am a symbol string sequence a a"]);
        Assert.Equal([4.0, 2, 1, 0], s.Counts);
        Assert.Equal([6.0, 5, 4, 3], s.Totals);

        BleuScore fromStats = Bleu.FromStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, new BleuOptions { Smoothing = BleuSmoothing.None });
        Assert.Equal(0.8375922397, fromStats.Score / 100, 9);
        Assert.Equal(0.0, Bleu.FromStatistics([0, 0, 0, 0], [4, 4, 2, 1], 0, 1, new BleuOptions { Smoothing = BleuSmoothing.Floor, SmoothValue = 0 }).Score);
        Assert.Equal(0.0, Bleu.FromStatistics([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, new BleuOptions { Smoothing = BleuSmoothing.Floor, SmoothValue = 0 }).Score);
    }

    [Fact]
    public void Hand_computed_exp_smoothing_and_brevity_penalty()
    {
        // "this is a fest" vs "this is a test": p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0/1 -> exp smoothing
        // gives p4 = 1/(2*1); BP = 1. BLEU = (3/4 * 2/3 * 1/2 * 1/2)^(1/4) = 0.125^(1/4).
        BleuScore s = Bleu.CorpusScore(["this is a fest"], ["this is a test"]);
        Assert.Equal(100 * Math.Pow(0.125, 0.25), s.Score, 10);
        Assert.Equal(1.0, s.BrevityPenalty);

        // Hypothesis of 3 tokens, reference of 6: BP = exp(1 - 6/3) = e^-1; effective order 3 (sentence BLEU).
        BleuScore sentence = Bleu.SentenceScore("the cat sat", ["the cat sat on the mat"]);
        Assert.Equal(100 * Math.Exp(-1), sentence.Score, 10);
        Assert.Equal("BLEU = 36.79 100.0/100.0/100.0/0.0 (BP = 0.368 ratio = 0.500 hyp_len = 3 ref_len = 6)", sentence.ToString());
    }

    [Theory]
    [InlineData(BleuSmoothing.Exp, null, false, BleuTokenization.Tok13a, 8.493)]
    [InlineData(BleuSmoothing.None, null, false, BleuTokenization.Tok13a, 0.0)]
    [InlineData(BleuSmoothing.Floor, null, false, BleuTokenization.Tok13a, 4.51688)]
    [InlineData(BleuSmoothing.Floor, 0.5, false, BleuTokenization.Tok13a, 10.10)]
    [InlineData(BleuSmoothing.AddK, null, false, BleuTokenization.Tok13a, 14.882)]
    [InlineData(BleuSmoothing.AddK, 2.0, false, BleuTokenization.Tok13a, 21.389)]
    [InlineData(BleuSmoothing.Exp, null, false, BleuTokenization.None, 7.347)]
    public void Published_sentence_bleu_smoothing_cases(BleuSmoothing smoothing, double? value, bool lowercase, BleuTokenization tok, double expected)
    {
        const string reference = "producţia de zahăr brut se exprimă în zahăr alb;";
        const string system = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";
        var options = new BleuOptions { Smoothing = smoothing, SmoothValue = value, Lowercase = lowercase, Tokenize = tok, EffectiveOrder = true };
        Assert.True(Math.Abs(Bleu.SentenceScore(system, [reference], options).Score - expected) < 1e-3);
    }

    [Fact]
    public void Matches_sacrebleu_run_with_numbers_punctuation_unicode_and_missing_references()
    {
        // sacreBLEU run: corpus_bleu(hyps, [refs1, refs2]) / corpus_bleu(hyps, [refs1]) /
        // corpus_bleu(hyps, [refs1], lowercase=True, tokenize='none').
        string[] hyps = ["The quick brown fox jumps over the lazy dog.", "A 3.5% rise, 1,000 items; e-mail me!", "", "Zürich is in Switzerland."];
        string?[] refs1 = ["The quick brown fox jumped over the lazy dog.", "A 3.5 % rise of 1,000 items: e-mail me.", "Nothing here.", "Zürich liegt in der Schweiz."];
        string?[] refs2 = ["A fast brown fox jumps over a lazy dog.", "There was a 3.5% rise, 1000 items; email me!", null, "Zurich is in Switzerland."];

        BleuScore two = Bleu.CorpusScore(hyps, [refs1, refs2]);
        Assert.Equal(60.66172143739509, two.Score, 10);
        Assert.Equal("BLEU = 60.66 100.0/87.0/60.0/41.2 (BP = 0.891 ratio = 0.897 hyp_len = 26 ref_len = 29)", two.ToString());
        Assert.Equal(36.55802767941082, Bleu.CorpusScore(hyps, [refs1]).Score, 10);
        Assert.Equal(25.731945178694623, Bleu.CorpusScore(hyps, [refs1], new BleuOptions { Lowercase = true, Tokenize = BleuTokenization.None }).Score, 10);
    }

    [Theory]
    [InlineData("Hello, world! It's 3.14 (approx.) & 1,000-2,000 items.", "Hello , world ! It's 3.14 ( approx . ) & 1,000 - 2,000 items .")]
    [InlineData("&quot;Quoted&quot; &amp; &lt;tag&gt; e-mail 5-6 a/b", "\" Quoted \" & < tag > e-mail 5 - 6 a / b")]
    [InlineData("end.", "end .")]
    [InlineData("Dr. Smith's 10.5% rise -- wow...", "Dr . Smith's 10.5 % rise -- wow . . .")]
    [InlineData("  multiple   spaces\tand\ttabs  ", "multiple spaces and tabs")]
    [InlineData("Ünïcödé — “quotes” ok.", "Ünïcödé — “quotes” ok .")]
    public void Tokenizer_13a_matches_sacrebleu(string input, string expected)
    {
        // sacreBLEU run: Tokenizer13a()(input)
        Assert.Equal(expected, BleuTokenizer13a.Tokenize(input));
    }

    [Fact]
    public void Mismatched_reference_streams_are_rejected()
    {
        Assert.Contains("reference stream 0 has 2 segments", Assert.Throws<ArgumentException>(() => Bleu.CorpusScore(["a"], ["a", "b"])).Message, StringComparison.Ordinal);
        Assert.Contains("segment 0 has no reference", Assert.Throws<ArgumentException>(() => Bleu.CorpusScore(["a"], [new string?[] { null }])).Message, StringComparison.Ordinal);
    }
}
