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
    /// <summary>Training tokens (or <see cref="ThroughputUnit"/>s) per second since training started.</summary>
    public double TokensPerSecond { get; init; }
    /// <summary>What <see cref="TokensPerSecond"/> counts, for display: "tok", or "img" for image tasks.</summary>
    public string ThroughputUnit { get; init; } = "tok";
    public TimeSpan Elapsed { get; init; }
    public TimeSpan Remaining { get; init; }
    public double LearningRate { get; init; }
    /// <summary>Set at a milestone when validation data exists.</summary>
    public double? ValidationAccuracy { get; init; }
    /// <summary>
    /// Set at a classifier's epoch end when its saved model is more than the network (a naive Bayes or SVM mixture) and
    /// there is no validation data: the whole model's accuracy on the training texts.
    /// </summary>
    public double? ModelTrainAccuracy { get; init; }
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

/// <summary>What a finished training run measured, for every task (a field a task does not measure stays null or 0).</summary>
public sealed record TrainResult
{
    /// <summary>Epochs that ran at least one step (tasks counted in epochs).</summary>
    public int EpochsRun { get; init; }
    /// <summary>Optimizer steps in all, including those before a resume.</summary>
    public int Steps { get; init; }
    /// <summary>1-based epoch whose weights were kept (0 when no epoch was scored).</summary>
    public int BestEpoch { get; init; }
    /// <summary>Classification: the best validation accuracy.</summary>
    public double? BestValidationAccuracy { get; init; }
    /// <summary>Image classification: the running accuracy over the last epoch's training batches.</summary>
    public double? FinalTrainAccuracy { get; init; }
    /// <summary>Image classification: the accuracy of the weights kept on the evaluation set (null without one).</summary>
    public double? EvaluationAccuracy { get; init; }
    /// <summary>
    /// Training loss at the end: the last epoch's mean (epoch tasks) or the estimate over the fixed training batches
    /// (the causal LM).
    /// </summary>
    public double FinalTrainLoss { get; init; }
    /// <summary>
    /// Validation loss: the final estimate over the fixed validation batches (the causal LM) or the best epoch's (translation);
    /// null without validation.
    /// </summary>
    public double? ValidationLoss { get; init; }
    /// <summary>Causal LM: mean loss over every token of the validation split's windows (null unless asked for).</summary>
    public double? FullValidationLoss { get; init; }
    /// <summary>Wall seconds of the optimisation steps.</summary>
    public double TrainSeconds { get; init; }
    /// <summary>Wall seconds including evaluations.</summary>
    public double TotalSeconds { get; init; }
    /// <summary>Tokens (images, for image tasks) consumed by the optimisation steps of this run.</summary>
    public long Tokens { get; init; }
    public double TokensPerSecond => TrainSeconds > 0 ? Tokens / TrainSeconds : 0;
    public bool StoppedEarly { get; init; }
    /// <summary>The wall-clock budget (<see cref="TrainOptions.Minutes"/>) ended the run.</summary>
    public bool BudgetReached { get; init; }
    /// <summary>Translation: training pairs left out for length.</summary>
    public int Filtered { get; init; }
    /// <summary>Batches skipped for a non-finite loss or gradient (<see cref="TrainOptions.SkipNonFinite"/>), in this process.</summary>
    public int SkippedNonFinite { get; init; }
}
