namespace TinyLM.Training;

/// <summary>
/// A training step met a NaN or an infinity — in the loss, or in a gradient (named with its parameter and element) —
/// and stopped before any weight changed, so the weights (and the last checkpoint) are those of the previous step.
/// <see cref="TrainerSettings.SkipNonFinite"/> skips such a batch instead.
/// </summary>
public sealed class NonFiniteTrainingException(string task, long step, int round, string what)
    : InvalidOperationException($"{task}: {what} at step {step + 1} (round {round + 1}); training stopped before the weights changed. " +
                                "Lower the learning rate, turn on gradient clipping, or skip such batches with --skip-nonfinite.")
{
    /// <summary>The 1-based step that failed.</summary>
    public long Step { get; } = step + 1;
}

/// <summary>
/// Training was asked to stop (Ctrl-C, SIGTERM: a cancelled token) and did, between two steps. When the run
/// checkpoints, the state after <see cref="Step"/> steps was written first (<see cref="CheckpointWritten"/>), so
/// resuming from it continues exactly as the uninterrupted run would.
/// </summary>
public sealed class TrainingInterruptedException(string task, long step, bool checkpointWritten)
    : OperationCanceledException($"{task}: stopped after step {step}" + (checkpointWritten ? "; the checkpoint holds that step." : "; nothing was saved."))
{
    /// <summary>Steps done, counting those before a resume.</summary>
    public long Step { get; } = step;

    /// <summary>Whether the checkpoint now holds <see cref="Step"/>.</summary>
    public bool CheckpointWritten { get; } = checkpointWritten;
}
