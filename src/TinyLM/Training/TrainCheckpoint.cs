using TinyLM.Nn;

namespace TinyLM.Training;

/// <summary>
/// Everything needed to continue a training run exactly where it stopped: the step count, every
/// parameter's values and the optimizer's state. The IO layer writes it to disk; the trainer only
/// captures and restores it. With weight averaging (<see cref="TrainOptions.AverageDecay"/>) it also holds the
/// average of every parameter (same names, same order) and how many updates it has seen.
/// </summary>
public sealed record TrainCheckpoint(int Step, IReadOnlyList<KeyValuePair<string, float[]>> Parameters, OptimizerState Optimizer)
{
    /// <summary>The weight average per parameter name, or null when the run does not average.</summary>
    public IReadOnlyList<KeyValuePair<string, float[]>>? Average { get; init; }

    /// <summary>Updates folded into <see cref="Average"/>.</summary>
    public long AverageUpdates { get; init; }

    public static TrainCheckpoint Capture(Module model, Optimizer optimizer, int step, WeightAverage? average = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var parameters = model.NamedParameters().Select(p => new KeyValuePair<string, float[]>(p.Key, p.Value.ToArray())).ToList();
        // The optimizer hands out its live buffers; copy them so later steps do not change the checkpoint.
        var state = optimizer.GetState();
        var buffers = state.Buffers.Select(b => new OptimizerBuffer(b.Name, (float[])b.Values.Clone())).ToList();
        var checkpoint = new TrainCheckpoint(step, parameters, new OptimizerState(state.Step, buffers));
        if (average is null) return checkpoint;
        var (updates, values) = average.Capture();
        if (values.Length != parameters.Count)
            throw new ArgumentException($"checkpoint: the weight average holds {values.Length} parameters, the model {parameters.Count}.");
        return checkpoint with
        {
            Average = [.. parameters.Select((p, i) => new KeyValuePair<string, float[]>(p.Key, values[i]))],
            AverageUpdates = updates,
        };
    }

    /// <summary>Restores the weight average; fails when the checkpoint was written by a run without one.</summary>
    public void RestoreAverage(Module model, WeightAverage average)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(average);
        if (Average is null)
            throw new InvalidDataException("checkpoint: the run averages weights but the checkpoint holds no average (it was written without one).");
        var saved = Average.ToDictionary(p => p.Key, p => p.Value);
        var values = new List<float[]>();
        foreach (var (name, _) in model.NamedParameters())
            values.Add(saved.TryGetValue(name, out var v) ? v : throw new InvalidDataException($"checkpoint: the average of parameter '{name}' is missing."));
        average.Restore(AverageUpdates, values);
    }

    /// <summary>Copies the saved values back; a checkpoint of another model shape fails naming the parameter.</summary>
    public void RestoreInto(Module model, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var saved = Parameters.ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (!saved.TryGetValue(name, out var values))
                throw new InvalidDataException($"checkpoint: parameter '{name}' is missing.");
            if (values.Length != parameter.Length)
                throw new InvalidDataException($"checkpoint: parameter '{name}' holds {values.Length} values, the model needs {parameter.Length}.");
            values.CopyTo(parameter.AsSpan());
        }
        optimizer.LoadState(Optimizer);
    }
}
