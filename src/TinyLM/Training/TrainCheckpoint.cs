using TinyLM.Nn;

namespace TinyLM.Training;

/// <summary>
/// Everything needed to continue a training run exactly where it stopped: the step count, every
/// parameter's values and the optimizer's state. The IO layer writes it to disk; the trainer only
/// captures and restores it.
/// </summary>
public sealed record TrainCheckpoint(int Step, IReadOnlyList<KeyValuePair<string, float[]>> Parameters, OptimizerState Optimizer)
{
    public static TrainCheckpoint Capture(Module model, Optimizer optimizer, int step)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var parameters = model.NamedParameters().Select(p => new KeyValuePair<string, float[]>(p.Key, p.Value.ToArray())).ToList();
        // The optimizer hands out its live buffers; copy them so later steps do not change the checkpoint.
        var state = optimizer.GetState();
        var buffers = state.Buffers.Select(b => new OptimizerBuffer(b.Name, (float[])b.Values.Clone())).ToList();
        return new TrainCheckpoint(step, parameters, new OptimizerState(state.Step, buffers));
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
