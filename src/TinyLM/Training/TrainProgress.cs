namespace TinyLM.Training;

/// <summary>A snapshot of a running training job, reported after every step and at each epoch's end.</summary>
public sealed record TrainProgress
{
    public int Epoch { get; init; }
    public int Epochs { get; init; }
    public int Step { get; init; }
    public int TotalSteps { get; init; }
    /// <summary>Running mean of the training loss over the current epoch.</summary>
    public double Loss { get; init; }
    /// <summary>Running training accuracy over the current epoch.</summary>
    public double Accuracy { get; init; }
    /// <summary>Training tokens per second since training started.</summary>
    public double TokensPerSecond { get; init; }
    public TimeSpan Elapsed { get; init; }
    public TimeSpan Remaining { get; init; }
    public double LearningRate { get; init; }
    /// <summary>Set at an epoch's end when validation data exists.</summary>
    public double? ValidationAccuracy { get; init; }
    public double? ValidationLoss { get; init; }
    /// <summary>True for the end-of-epoch report.</summary>
    public bool EpochEnd { get; init; }
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
