using TinyLM.Tensors;

namespace TinyLM.Models.Generation;

/// <summary>
/// Chooses tokens from logits with <see cref="SamplingOptions"/>: repetition penalty → temperature (0 = greedy) →
/// softmax → top-k → top-p → min-p → draw. Scratch is sized once for the vocabulary: nothing is allocated per token.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Rng _rng;
    private readonly float[] _logits, _weights, _keys;
    private readonly int[] _order;
    private readonly bool[] _seen;

    /// <summary>A sampler for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    public Sampler(SamplingOptions options, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _rng = new Rng(options.Seed);
        _logits = new float[vocabSize];
        _weights = new float[vocabSize];
        _keys = new float[vocabSize];
        _order = new int[vocabSize];
        _seen = new bool[vocabSize];
    }

    /// <summary>The next token given the logits and the tokens so far (prompt included, for the repetition penalty).</summary>
    public int Next(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        if (logits.Length != _logits.Length)
            throw new ArgumentException($"Sampler.Next: {logits.Length} logits for a vocabulary of {_logits.Length}.");
        var work = _logits.AsSpan();
        logits.CopyTo(work);
        Sampling.ApplyRepetitionPenalty(work, history, _options.RepetitionPenalty, _seen);
        if (_options.Temperature == 0f) return Sampling.Greedy(work);
        var w = _weights.AsSpan();
        Sampling.Softmax(work, _options.Temperature, w);
        Sampling.TopK(w, _options.TopK, _keys);
        Sampling.TopP(w, _options.TopP, _order, _keys);
        Sampling.MinP(w, _options.MinP);
        return Sampling.Sample(w, _rng.NextFloat());
    }
}
