using TinyLM.Models;
using TinyLM.Training;

namespace TinyLM.IO;

/// <summary>
/// A resumable translation training checkpoint: a complete seq2seq <c>.tlm</c> (it also loads as a model, tokenizers
/// included) plus the optimizer state (see <see cref="TrainCheckpointParts"/>). Written atomically.
/// </summary>
public static class Seq2SeqCheckpointFile
{
    /// <summary>Writes <paramref name="checkpoint"/> of <paramref name="model"/> to <paramref name="path"/>.</summary>
    public static void Save(Seq2SeqModel model, TrainCheckpoint checkpoint, string path) =>
        TrainCheckpointParts.Save(path, model, checkpoint, Seq2SeqFile.ToContents);

    /// <summary>Reads a checkpoint: the model (weights and tokenizers restored; the trainer puts it in training mode) and the state to resume from.</summary>
    public static (Seq2SeqModel Model, TrainCheckpoint Checkpoint) Load(string path) =>
        TrainCheckpointParts.Load(path, Seq2SeqFile.FromContents, m => m);
}
