using System.Globalization;
using TinyLM.Nn;
using TinyLM.Training;

namespace TinyLM.IO;

/// <summary>
/// How a <see cref="TrainCheckpoint"/> rides inside a model file: the step counts as metadata and the
/// optimizer's buffers as tensors named <c>optimizer.{buffer}</c>, next to the model's own weights, so a
/// checkpoint also loads as a plain model.
/// </summary>
public static class TrainCheckpointParts
{
    private const string StepKey = "checkpoint.step";
    private const string OptimizerStepKey = "checkpoint.optimizer_step";
    private const string OptimizerPrefix = "optimizer.";

    /// <summary>The metadata keys that mark a file as a checkpoint.</summary>
    public static Dictionary<string, string> Metadata(TrainCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new Dictionary<string, string>
        {
            [StepKey] = checkpoint.Step.ToString(CultureInfo.InvariantCulture),
            [OptimizerStepKey] = checkpoint.Optimizer.Step.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Adds the optimizer buffers to a model file's tensors.</summary>
    public static void AddOptimizer(ModelFileContents contents, TrainCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(checkpoint);
        foreach (var buffer in checkpoint.Optimizer.Buffers)
            contents.AddFloats(OptimizerPrefix + buffer.Name, [buffer.Values.Length], buffer.Values);
    }

    /// <summary>Reads the checkpoint state back; <paramref name="model"/> already holds the file's weights.</summary>
    public static TrainCheckpoint Read(ModelFileContents contents, string path, Module model)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(model);
        if (!contents.Metadata.TryGetValue(StepKey, out var stepText) || !int.TryParse(stepText, CultureInfo.InvariantCulture, out int step)
            || !contents.Metadata.TryGetValue(OptimizerStepKey, out var optText) || !long.TryParse(optText, CultureInfo.InvariantCulture, out long optimizerStep))
            throw new ModelFormatException(path, "is a model file, not a training checkpoint (no checkpoint.step metadata).");
        var buffers = new List<OptimizerBuffer>();
        foreach (var t in contents.Tensors)
            if (t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                buffers.Add(new OptimizerBuffer(t.Name[OptimizerPrefix.Length..], t.ToFloatArray()));
        var parameters = model.NamedParameters().Select(p => new KeyValuePair<string, float[]>(p.Key, p.Value.ToArray())).ToList();
        return new TrainCheckpoint(step, parameters, new OptimizerState(optimizerStep, buffers));
    }
}
