namespace TinyLM.Training;

/// <summary>
/// A snapshot of a running training job of any task, reported after every step and at each milestone (an epoch's
/// end, or an evaluation of a run counted in steps).
/// </summary>
public sealed record TrainProgress
{
    /// <summary>The epoch under way (from 1), or 0 for a run counted in steps only (language models).</summary>
    public int Epoch { get; init; }
    /// <summary>Epochs planned, or 0 for a run counted in steps only.</summary>
    public int Epochs { get; init; }
    public int Step { get; init; }
    public int TotalSteps { get; init; }
    /// <summary>Running mean of the training loss over the current epoch.</summary>
    public double Loss { get; init; }
    /// <summary>Running training accuracy over the current epoch (token accuracy for translation); null for a task without one.</summary>
    public double? Accuracy { get; init; }
    /// <summary>Training tokens per second since training started.</summary>
    public double TokensPerSecond { get; init; }
    public TimeSpan Elapsed { get; init; }
    public TimeSpan Remaining { get; init; }
    public double LearningRate { get; init; }
    /// <summary>Set at a milestone when validation data exists.</summary>
    public double? ValidationAccuracy { get; init; }
    public double? ValidationLoss { get; init; }
    /// <summary>Set at a language model's evaluation: mean loss over its fixed training batches.</summary>
    public double? TrainLoss { get; init; }
    /// <summary>True for the report of a milestone (epoch end or evaluation).</summary>
    public bool Milestone { get; init; }
    /// <summary>Steps in one epoch (so a view can show progress inside the epoch), or 0 when unknown or counted in steps.</summary>
    public int StepsPerEpoch { get; init; }
    /// <summary>The wall-clock budget in seconds when the run is bounded by time (then <see cref="Epochs"/> is only an upper bound), else 0.</summary>
    public double BudgetSeconds { get; init; }
}

/// <summary>What a finished training run measured.</summary>
public sealed record TrainResult
{
    public int EpochsRun { get; init; }
    public int Steps { get; init; }
    public int BestEpoch { get; init; }
    public double? BestValidationAccuracy { get; init; }
    public double FinalTrainLoss { get; init; }
    public double TrainSeconds { get; init; }
    public long Tokens { get; init; }
    public double TokensPerSecond => TrainSeconds > 0 ? Tokens / TrainSeconds : 0;
    public bool StoppedEarly { get; init; }
}
