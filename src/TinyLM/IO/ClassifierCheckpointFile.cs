using TinyLM.Models;
using TinyLM.Training;

namespace TinyLM.IO;

/// <summary>
/// A resumable classifier training checkpoint: a complete classifier <c>.tlm</c> (it also loads as a model)
/// plus the optimizer state (see <see cref="TrainCheckpointParts"/>). Written atomically.
/// </summary>
public static class ClassifierCheckpointFile
{
    /// <summary>Writes <paramref name="checkpoint"/> of <paramref name="model"/> to <paramref name="path"/>.</summary>
    public static void Save(TextClassifier model, TrainCheckpoint checkpoint, string path) =>
        TrainCheckpointParts.Save(path, model, checkpoint, TextClassifierFile.ToContents);

    /// <summary>Reads a checkpoint: the model (weights restored) and the state to resume from.</summary>
    public static (TextClassifier Model, TrainCheckpoint Checkpoint) Load(string path) =>
        TrainCheckpointParts.Load(path, TextClassifierFile.FromContents, m => m);
}
