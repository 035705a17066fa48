using TinyLM.Models;
using TinyLM.Training;

namespace TinyLM.IO;

/// <summary>
/// A resumable language-model training checkpoint: a complete causal-lm <c>.tlm</c> (so it also loads as a model)
/// plus the optimizer state (see <see cref="TrainCheckpointParts"/>). Written atomically; a checkpoint of another
/// shape fails on resume naming the parameter.
/// </summary>
public static class CausalLMCheckpointFile
{
    /// <summary>Writes <paramref name="checkpoint"/> of <paramref name="lm"/> to <paramref name="path"/>.</summary>
    public static void Save(TokenizedCausalLM lm, TrainCheckpoint checkpoint, string path) =>
        TrainCheckpointParts.Save(path, lm, checkpoint, CausalLMFile.ToContents);

    /// <summary>Reads a checkpoint: the model (weights restored) and the state to resume from.</summary>
    public static (TokenizedCausalLM Model, TrainCheckpoint Checkpoint) Load(string path) =>
        TrainCheckpointParts.Load(path, CausalLMFile.FromContents, lm => lm.Model);
}
