using TinyLM.Training;

namespace TinyLM.Tests.Training.Metrics;

/// <summary>Published sacreBLEU values (README, test_chrf.py) and sacreBLEU-run values where marked.</summary>
public class ChrFTests
{
    [Fact]
    public void Readme_example_default_chrf2_and_chrf_plus_plus()
    {
        // sacreBLEU run on the README example: chrF2 = 59.73, chrF2++ = 59.15.
        string[] hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
        IReadOnlyList<string?>[] refs =
        [
            ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
            ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
        ];
        ChrFScore chrf = ChrF.CorpusScore(hyps, refs);
        Assert.Equal(59.72751782684763, chrf.Score, 10);
        Assert.Equal("chrF2 = 59.73", chrf.ToString());
        ChrFScore plus = ChrF.CorpusScore(hyps, refs, new ChrFOptions { WordOrder = 2 });
        Assert.Equal(59.15310444399262, plus.Score, 10);
        Assert.Equal("chrF2++", plus.Name);
    }

    [Theory]
    [InlineData("abcdefg", "hijklmnop", 0.0)]
    [InlineData("a", "b", 0.0)]
    [InlineData("", "b", 0.0)]
    [InlineData("", "reference", 0.0)]
    [InlineData("aa", "ab", 8.3333)]
    [InlineData("a", "a", 16.6667)]
    [InlineData("a b c", "a b c", 50.0)]
    [InlineData("a b c", "abc", 50.0)]
    [InlineData(" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 63.361730)]
    [InlineData(" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. ",
        "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 64.1302698)]
    [InlineData("Niemand hat die Absicht, eine Mauer zu errichten", "Niemand hat die Absicht, eine Mauer zu errichten", 100.0)]
    public void Published_eps_smoothing_cases_beta_3(string hyp, string reference, double expected)
    {
        var options = new ChrFOptions { Beta = 3, EpsSmoothing = true };
        Assert.True(Math.Abs(ChrF.CorpusScore([hyp], [reference], options).Score - expected) < 1e-4);
    }

    [Fact]
    public void Published_two_segment_case()
    {
        Assert.True(Math.Abs(ChrF.CorpusScore(["a", "b"], ["a", "c"], new ChrFOptions { Beta = 3, EpsSmoothing = true }).Score - 8.3333) < 1e-4);
        Assert.True(Math.Abs(ChrF.CorpusScore(["a", "b"], ["a", "c"], new ChrFOptions { Beta = 3 }).Score - 50.0) < 1e-4);
    }

    [Theory]
    [InlineData("a", "a", 100.0)]
    [InlineData("", "reference", 0.0)]
    [InlineData("a b c", "a b c", 100.0)]
    [InlineData("a b c", "abc", 100.0)]
    [InlineData("", "c", 0.0)]
    [InlineData("aa", "ab", 25.0)]
    public void Published_effective_order_cases_beta_3(string hyp, string reference, double expected)
    {
        Assert.True(Math.Abs(ChrF.CorpusScore([hyp], [reference], new ChrFOptions { Beta = 3 }).Score - expected) < 1e-4);
    }

    [Theory]
    [InlineData("Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.",
        "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.", 67.3481606)]
    [InlineData("risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .",
        "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .", 65.2414427)]
    public void Published_keep_whitespace_cases(string hyp, string reference, double expected)
    {
        Assert.True(Math.Abs(ChrF.CorpusScore([hyp], [reference], new ChrFOptions { Beta = 3, Whitespace = true }).Score - expected) < 1e-4);
    }

    [Theory]
    [InlineData("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
        "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509)]
    [InlineData("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
        "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079)]
    [InlineData("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
        "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367)]
    public void Published_sentence_level_cases(string hyp, string reference, double expected)
    {
        Assert.True(Math.Abs(ChrF.SentenceScore(hyp, [reference], new ChrFOptions { EpsSmoothing = true }).Score - expected) < 1e-4);
    }

    [Fact]
    public void Matches_sacrebleu_run_with_multiple_references_and_non_bmp_characters()
    {
        // sacreBLEU run: corpus_chrf(hyps, [refs1, refs2]) etc.; the emoji case checks that n-grams are
        // cut at code points as Python does, not at UTF-16 units.
        string[] hyps = ["The quick brown fox jumps over the lazy dog.", "A 3.5% rise, 1,000 items; e-mail me!", "", "Zürich is in Switzerland."];
        string?[] refs1 = ["The quick brown fox jumped over the lazy dog.", "A 3.5 % rise of 1,000 items: e-mail me.", "Nothing here.", "Zürich liegt in der Schweiz."];
        string?[] refs2 = ["A fast brown fox jumps over a lazy dog.", "There was a 3.5% rise, 1000 items; email me!", null, "Zurich is in Switzerland."];
        Assert.Equal(74.42316944028072, ChrF.CorpusScore(hyps, [refs1, refs2]).Score, 10);
        Assert.Equal(60.2071027927096, ChrF.CorpusScore(hyps, [refs1]).Score, 10);
        Assert.Equal(72.68521235284993, ChrF.CorpusScore(hyps, [refs1, refs2], new ChrFOptions { WordOrder = 2 }).Score, 10);
        Assert.Equal(58.97924422279976, ChrF.CorpusScore(["😀 smile 😀!", "ab"], ["😀 smiles!", "abc"]).Score, 10);
    }

    [Fact]
    public void Hand_computed_unigram_case()
    {
        // CharOrder 1, beta 1: hyp "ab" vs ref "abc": P = 2/2, R = 2/3, F1 = 2PR/(P+R) = 0.8.
        Assert.Equal(80.0, ChrF.CorpusScore(["ab"], ["abc"], new ChrFOptions { CharOrder = 1, Beta = 1 }).Score, 10);
    }
}
