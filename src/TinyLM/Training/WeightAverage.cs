using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// An exponential moving average of the weights over optimizer steps (Polyak averaging), bias-corrected like
/// Adam's moments so the start weights get no share: after t updates the average is
/// Σₛ dᵗ⁻ˢ·θₛ / Σₛ dᵗ⁻ˢ over the weights θ₁…θₜ seen after each step. It is kept in that normalised form,
/// a ← a + kₜ·(θₜ − a) with kₜ = (1 − d) / (1 − dᵗ), so the first update copies θ₁ exactly and a weight that
/// never moves stays bit-identical. With a constant learning rate the weights keep jittering around a
/// minimum; the average sits nearer its centre and varies much less from seed to seed than the last step.
/// </summary>
public sealed class WeightAverage
{
    private readonly Tensor[] _parameters;
    private readonly float[][] _average;
    private readonly float[] _scratch;

    /// <summary>Averages <paramref name="parameters"/> with per-step decay <paramref name="decay"/> in (0, 1).</summary>
    public WeightAverage(IReadOnlyList<Tensor> parameters, float decay)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(decay is > 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "WeightAverage: decay must be in (0, 1).");
        Decay = decay;
        _parameters = [.. parameters];
        _average = Array.ConvertAll(_parameters, p => new float[p.Length]);
        int largest = 0;
        foreach (var p in _parameters) largest = Math.Max(largest, p.Length);
        _scratch = new float[largest];
    }

    /// <summary>The per-step decay d.</summary>
    public float Decay { get; }

    /// <summary>Updates folded in so far.</summary>
    public long Updates { get; private set; }

    /// <summary>Folds the parameters' current values in (call after every optimizer step).</summary>
    public void Update()
    {
        Updates++;
        // k = (1 − d) / (1 − dᵗ) in float64: dᵗ underflows gracefully, and k = 1 exactly at t = 1.
        float k = (float)((1.0 - Decay) / (1.0 - Math.Pow(Decay, Updates)));
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i].AsSpan();
            var a = _average[i].AsSpan();
            var delta = _scratch.AsSpan(0, a.Length);
            TensorPrimitives.Subtract(p, a, delta);
            TensorPrimitives.Multiply(delta, k, delta);
            TensorPrimitives.Add(a, delta, a);
        }
    }

    /// <summary>The average of parameter <paramref name="index"/> (live: read it before the next update).</summary>
    public ReadOnlySpan<float> Average(int index) => _average[index];

    /// <summary>Writes the average into the parameters (nothing happens before the first update).</summary>
    public void CopyToParameters()
    {
        if (Updates == 0) return;
        for (int i = 0; i < _parameters.Length; i++) _average[i].CopyTo(_parameters[i].AsSpan());
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the average in the parameters, then puts the trained values back
    /// (e.g. to validate what will be saved without disturbing training).
    /// </summary>
    public T WithAverage<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (Updates == 0) return action();
        var live = Array.ConvertAll(_parameters, p => p.ToArray());
        CopyToParameters();
        try
        {
            return action();
        }
        finally
        {
            for (int i = 0; i < _parameters.Length; i++) live[i].CopyTo(_parameters[i].AsSpan());
        }
    }

    /// <summary>A copy of the state for a checkpoint: the update count and each parameter's average.</summary>
    public (long Updates, float[][] Values) Capture() => (Updates, Array.ConvertAll(_average, a => (float[])a.Clone()));

    /// <summary>Restores a state from <see cref="Capture"/> (same parameters, same order).</summary>
    public void Restore(long updates, IReadOnlyList<float[]> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (updates < 0) throw new ArgumentOutOfRangeException(nameof(updates), updates, "WeightAverage.Restore: negative update count.");
        if (values.Count != _average.Length)
            throw new ArgumentException($"WeightAverage.Restore: {values.Count} averages given, {_average.Length} parameters.");
        for (int i = 0; i < _average.Length; i++)
            if (values[i].Length != _average[i].Length)
                throw new ArgumentException($"WeightAverage.Restore: average {i} holds {values[i].Length} values, the parameter has {_average[i].Length}.");
        for (int i = 0; i < _average.Length; i++) values[i].CopyTo(_average[i], 0);
        Updates = updates;
    }
}
