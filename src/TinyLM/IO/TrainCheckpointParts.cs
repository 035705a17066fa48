using System.Globalization;
using TinyLM.Nn;
using TinyLM.Training;

namespace TinyLM.IO;

/// <summary>
/// How a <see cref="TrainCheckpoint"/> rides inside a model file: the step counts as metadata and the
/// optimizer's buffers as tensors named <c>optimizer.{buffer}</c> (and a weight average, if any, as
/// <c>average.{parameter}</c>), next to the model's own weights, so a checkpoint also loads as a plain model.
/// </summary>
public static class TrainCheckpointParts
{
    private const string StepKey = "checkpoint.step";
    private const string OptimizerStepKey = "checkpoint.optimizer_step";
    private const string OptimizerPrefix = "optimizer.";
    private const string AverageUpdatesKey = "checkpoint.average_updates";
    private const string AveragePrefix = "average.";

    /// <summary>
    /// Writes a checkpoint file atomically: <paramref name="model"/>'s complete file contents, made by
    /// <paramref name="toContents"/> with the checkpoint's metadata, plus the optimizer state.
    /// </summary>
    public static void Save<TModel>(string path, TModel model, TrainCheckpoint checkpoint,
        Func<TModel, Dictionary<string, string>, ModelFileContents> toContents)
    {
        ArgumentNullException.ThrowIfNull(toContents);
        var contents = toContents(model, Metadata(checkpoint));
        AddOptimizer(contents, checkpoint);
        ModelFile.Save(path, contents);
    }

    /// <summary>Reads a checkpoint file: the model (by <paramref name="fromContents"/>, weights restored) and the state to resume from.</summary>
    public static (TModel Model, TrainCheckpoint Checkpoint) Load<TModel>(string path, Func<ModelFileContents, string, TModel> fromContents,
        Func<TModel, Module> module)
    {
        ArgumentNullException.ThrowIfNull(fromContents);
        ArgumentNullException.ThrowIfNull(module);
        var contents = ModelFile.Load(path);
        var model = fromContents(contents, path);
        return (model, Read(contents, path, module(model)));
    }

    /// <summary>The metadata keys that mark a file as a checkpoint.</summary>
    public static Dictionary<string, string> Metadata(TrainCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var metadata = new Dictionary<string, string>
        {
            [StepKey] = checkpoint.Step.ToString(CultureInfo.InvariantCulture),
            [OptimizerStepKey] = checkpoint.Optimizer.Step.ToString(CultureInfo.InvariantCulture),
        };
        if (checkpoint.Average is not null) metadata[AverageUpdatesKey] = checkpoint.AverageUpdates.ToString(CultureInfo.InvariantCulture);
        return metadata;
    }

    /// <summary>Adds the optimizer buffers to a model file's tensors.</summary>
    public static void AddOptimizer(ModelFileContents contents, TrainCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(checkpoint);
        foreach (var buffer in checkpoint.Optimizer.Buffers)
            contents.AddFloats(OptimizerPrefix + buffer.Name, [buffer.Values.Length], buffer.Values);
        foreach (var (name, values) in checkpoint.Average ?? [])
            contents.AddFloats(AveragePrefix + name, [values.Length], values);
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
        var checkpoint = new TrainCheckpoint(step, parameters, new OptimizerState(optimizerStep, buffers));
        if (!contents.Metadata.TryGetValue(AverageUpdatesKey, out var averageText)) return checkpoint;
        if (!long.TryParse(averageText, CultureInfo.InvariantCulture, out long averageUpdates) || averageUpdates < 0)
            throw new ModelFormatException(path, $"has an invalid {AverageUpdatesKey} '{averageText}'.");
        var average = new List<KeyValuePair<string, float[]>>();
        foreach (var t in contents.Tensors)
            if (t.Name.StartsWith(AveragePrefix, StringComparison.Ordinal))
                average.Add(new(t.Name[AveragePrefix.Length..], t.ToFloatArray()));
        return checkpoint with { Average = average, AverageUpdates = averageUpdates };
    }
}
