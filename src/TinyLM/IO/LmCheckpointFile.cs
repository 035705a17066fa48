using TinyLM.Models;
using TinyLM.Training;

namespace TinyLM.IO;

/// <summary>
/// A resumable language-model training checkpoint: a complete causal-lm <c>.tlm</c> (so it also loads as a model)
/// plus the optimizer state (see <see cref="TrainCheckpointParts"/>). Written atomically; a checkpoint of another
/// shape fails on resume naming the parameter.
/// </summary>
public static class LmCheckpointFile
{
    /// <summary>Writes <paramref name="checkpoint"/> of <paramref name="lm"/> to <paramref name="path"/>.</summary>
    public static void Save(LanguageModel lm, TrainCheckpoint checkpoint, string path)
    {
        ArgumentNullException.ThrowIfNull(lm);
        var contents = CausalLMFile.ToContents(lm, TrainCheckpointParts.Metadata(checkpoint));
        TrainCheckpointParts.AddOptimizer(contents, checkpoint);
        ModelFile.Save(path, contents);
    }

    /// <summary>Reads a checkpoint: the model (weights restored) and the state to resume from.</summary>
    public static (LanguageModel Model, TrainCheckpoint Checkpoint) Load(string path)
    {
        var contents = ModelFile.Load(path);
        var lm = CausalLMFile.FromContents(contents, path);
        return (lm, TrainCheckpointParts.Read(contents, path, lm.Model));
    }
}
