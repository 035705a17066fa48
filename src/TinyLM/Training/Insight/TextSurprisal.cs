using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training.Insight;

/// <summary>One token of a scored text: −ln p(token | the tokens before it), or null for a first token nothing predicts.</summary>
public sealed record TokenSurprisal(int Id, string Piece, double? Nats)
{
    /// <summary>The surprisal in bits (nats / ln 2).</summary>
    public double? Bits => Nats / Math.Log(2);
}

/// <summary>A text's surprisal under a causal language model, token by token, with its total and perplexity.</summary>
public sealed record TextSurprisal(IReadOnlyList<TokenSurprisal> Tokens, double TotalNats, int ScoredTokens, int ContextRestarts)
{
    /// <summary>The total in bits.</summary>
    public double TotalBits => TotalNats / Math.Log(2);

    /// <summary>exp(mean surprisal in nats) over the scored tokens.</summary>
    public double Perplexity => Math.Exp(TotalNats / ScoredTokens);

    /// <summary>
    /// Scores <paramref name="text"/> as the model reads it: BOS first when the model has one (then every token of the
    /// text is predicted), otherwise the first token is context only. A text longer than the context window is read
    /// with a sliding window: when the window is full, the model restarts on the last half of it (each restart counted
    /// in <see cref="ContextRestarts"/>), so every prediction has at least half a window of context. Runs on the
    /// inference path (the KV cache, quantized matrices included).
    /// </summary>
    public static TextSurprisal Of(TokenizedCausalLM lm, string text)
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new ArgumentException("score: the text is empty; give the text to score.");
        var textIds = lm.Tokenizer.Encode(text);
        int[] sequence = lm.BosId is int bos ? [bos, .. textIds] : textIds;
        if (sequence.Length < 2)
            throw new ArgumentException($"score: the text is {textIds.Length} token long and the model has no BOS token, so nothing in it is predicted; give a longer text.");
        var state = lm.Model.CreateRunState();
        int window = state.ContextLength, keep = Math.Max(1, window / 2), restarts = 0;
        var nats = new double?[sequence.Length];
        var logits = state.Prefill(sequence.AsSpan(0, 1));
        for (int i = 1; i < sequence.Length; i++)
        {
            nats[i] = NegativeLogProbability(logits, sequence[i]);
            if (i == sequence.Length - 1) break;
            if (state.Position < window) logits = state.DecodeStep(sequence[i]);
            else
            {
                // Full: start again on the last `keep` tokens, the one just scored included.
                state.Reset();
                logits = state.Prefill(sequence.AsSpan(i + 1 - keep, keep));
                restarts++;
            }
        }
        int offset = sequence.Length - textIds.Length; // 1 with BOS: the BOS itself is not a token of the text
        var tokens = new TokenSurprisal[textIds.Length];
        double total = 0;
        int scored = 0;
        for (int i = 0; i < textIds.Length; i++)
        {
            var value = nats[i + offset];
            tokens[i] = new TokenSurprisal(textIds[i], TokenPieces.Of(lm.Tokenizer, textIds[i]), value);
            if (value is double v)
            {
                total += v;
                scored++;
            }
        }
        return new TextSurprisal(tokens, total, scored, restarts);
    }

    // −ln softmax(logits)[token], in float64.
    private static double NegativeLogProbability(ReadOnlySpan<float> logits, int token)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        double sum = 0;
        foreach (float z in logits) sum += Math.Exp(z - max);
        return Math.Log(sum) + max - logits[token];
    }
}
