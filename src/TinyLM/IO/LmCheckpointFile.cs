using System.Globalization;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Training;

namespace TinyLM.IO;

/// <summary>
/// A resumable language-model training checkpoint: a complete causal-lm <c>.tlm</c> (so it also loads as a model)
/// plus the optimizer's buffers as tensors named <c>optimizer.{buffer}</c> and the step counts in metadata.
/// Written atomically; a checkpoint of another shape fails on resume naming the parameter.
/// </summary>
public static class LmCheckpointFile
{
    private const string StepKey = "checkpoint.step";
    private const string OptimizerStepKey = "checkpoint.optimizer_step";
    private const string OptimizerPrefix = "optimizer.";

    /// <summary>Writes <paramref name="checkpoint"/> of <paramref name="lm"/> to <paramref name="path"/>.</summary>
    public static void Save(LanguageModel lm, TrainCheckpoint checkpoint, string path)
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var contents = CausalLMFile.ToContents(lm, new Dictionary<string, string>
        {
            [StepKey] = checkpoint.Step.ToString(CultureInfo.InvariantCulture),
            [OptimizerStepKey] = checkpoint.Optimizer.Step.ToString(CultureInfo.InvariantCulture),
        });
        foreach (var buffer in checkpoint.Optimizer.Buffers)
            contents.AddFloats(OptimizerPrefix + buffer.Name, [buffer.Values.Length], buffer.Values);
        ModelFile.Save(path, contents);
    }

    /// <summary>Reads a checkpoint: the model (weights restored) and the state to resume from.</summary>
    public static (LanguageModel Model, TrainCheckpoint Checkpoint) Load(string path)
    {
        var contents = ModelFile.Load(path);
        var lm = CausalLMFile.FromContents(contents, path);
        if (!contents.Metadata.TryGetValue(StepKey, out var stepText) || !int.TryParse(stepText, CultureInfo.InvariantCulture, out int step)
            || !contents.Metadata.TryGetValue(OptimizerStepKey, out var optText) || !long.TryParse(optText, CultureInfo.InvariantCulture, out long optimizerStep))
            throw new ModelFormatException(path, "is a model file, not a training checkpoint (no checkpoint.step metadata).");
        var buffers = new List<OptimizerBuffer>();
        foreach (var t in contents.Tensors)
            if (t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                buffers.Add(new OptimizerBuffer(t.Name[OptimizerPrefix.Length..], t.ToFloatArray()));
        var parameters = lm.Model.NamedParameters().Select(p => new KeyValuePair<string, float[]>(p.Key, p.Value.ToArray())).ToList();
        return (lm, new TrainCheckpoint(step, parameters, new OptimizerState(optimizerStep, buffers)));
    }
}
