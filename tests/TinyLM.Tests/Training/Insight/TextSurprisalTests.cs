using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training.Insight;

namespace TinyLM.Tests.Training.Insight;

public class TextSurprisalTests
{
    private static TokenizedCausalLM Tiny(int context, int? bos = null)
    {
        var tokenizer = CharTokenizer.Fit("abcdefgh \n");
        var config = CausalLMTests.Gpt2 with { VocabSize = tokenizer.VocabSize, ContextLength = context };
        return new TokenizedCausalLM(CausalLMTests.Randomised(config, 0.6f), tokenizer) { BosId = bos };
    }

    [Fact]
    public void Per_token_surprisal_sums_to_the_sequence_loss_of_the_batched_path()
    {
        var lm = Tiny(32);
        const string text = "abc def gha bcd";
        var score = TextSurprisal.Of(lm, text);
        var ids = lm.Tokenizer.Encode(text);
        Assert.Equal(ids, score.Tokens.Select(t => t.Id));
        Assert.Null(score.Tokens[0].Nats); // no BOS: the first character is context only
        Assert.Equal(ids.Length - 1, score.ScoredTokens);
        double expected = lm.Model.CreateRunState().NegativeLogLikelihood(ids);
        Assert.Equal(expected, score.TotalNats, expected * 1e-4);
        Assert.Equal(score.TotalNats / Math.Log(2), score.TotalBits, 1e-9);
        Assert.Equal(Math.Exp(expected / (ids.Length - 1)), score.Perplexity, score.Perplexity * 1e-4);
        Assert.Equal(0, score.ContextRestarts);
        Assert.Equal("a", score.Tokens[0].Piece);
        Assert.All(score.Tokens.Skip(1), t => Assert.Equal(t.Nats!.Value / Math.Log(2), t.Bits!.Value, 1e-9));
    }

    [Fact]
    public void With_bos_every_token_is_scored()
    {
        var lm = Tiny(32, bos: 0);
        var score = TextSurprisal.Of(lm, "abc");
        Assert.Equal(3, score.ScoredTokens);
        Assert.All(score.Tokens, t => Assert.NotNull(t.Nats));
        double expected = lm.Model.CreateRunState().NegativeLogLikelihood([0, .. lm.Tokenizer.Encode("abc")]);
        Assert.Equal(expected, score.TotalNats, expected * 1e-4);
    }

    [Fact]
    public void A_text_longer_than_the_context_slides_and_each_prediction_keeps_half_a_window()
    {
        var lm = Tiny(8);
        const string text = "abcdefgh abcdefgh abc";
        var ids = lm.Tokenizer.Encode(text);
        var score = TextSurprisal.Of(lm, text);
        Assert.True(score.ContextRestarts > 0);
        Assert.Equal(ids.Length - 1, score.ScoredTokens);
        // The reference: each token's surprisal given the window the scorer holds (restarting on the last 4 of 8 when full).
        int start = 0;
        var expected = new double[ids.Length];
        var state = lm.Model.CreateRunState();
        for (int i = 1; i < ids.Length; i++)
        {
            if (i - start > 8) start = i - 4;
            var window = ids[start..(i + 1)];
            expected[i] = state.NegativeLogLikelihood(window) - (window.Length > 2 ? state.NegativeLogLikelihood(window[..^1]) : 0);
        }
        for (int i = 1; i < ids.Length; i++) Assert.Equal(expected[i], score.Tokens[i].Nats!.Value, 1e-3);
    }

    [Fact]
    public void Empty_and_single_token_texts_without_bos_are_refused()
    {
        var lm = Tiny(8);
        Assert.Throws<ArgumentException>(() => TextSurprisal.Of(lm, ""));
        Assert.Contains("no BOS", Assert.Throws<ArgumentException>(() => TextSurprisal.Of(lm, "a")).Message, StringComparison.Ordinal);
    }
}
