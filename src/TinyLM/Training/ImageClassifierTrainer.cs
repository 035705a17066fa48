using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Trains an <see cref="ImageClassifier"/> on the one <see cref="Trainer{TBatch}"/> loop (<see cref="ImageTrainingTask"/>):
/// shuffled batches, cross-entropy, the optimizer, schedule and clipping that <see cref="TrainOptions"/> name, and an
/// optional wall-clock budget. The last step's weights are kept (see the task for why no best weights are chosen).
/// </summary>
public sealed class ImageClassifierTrainer(ImageClassifier model, TrainOptions options)
{
    /// <summary>Called after every step and at each epoch's end.</summary>
    public IProgress<TrainProgress>? Progress { get; init; }

    /// <summary>
    /// Wall-clock budget in seconds (0 = none): no step starts after it. Unlike <see cref="TrainOptions.Minutes"/> it leaves
    /// the schedule counted in steps, so a run that ends within its budget is reproducible (the published figure's case).
    /// </summary>
    public double BudgetSeconds { get; init; }

    public TrainResult Fit(ImageDataset train, ImageDataset? evaluation = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException($"{train.Source}: no training images.");
        model.CheckShape(train);
        if (evaluation is not null) model.CheckShape(evaluation);
        var optimizer = Optimizers.Create(options, model);
        var task = new ImageTrainingTask(model, options, train, evaluation, Progress);
        var outcome = new Trainer<int[]>(task, Optimizers.Settings(options, model, optimizer, Optimizers.CreateSchedule(options, task.TotalSteps)) with
        {
            RestoreBest = false,
            BudgetSeconds = BudgetSeconds,
        }).Fit(cancel);
        // A budget that ends mid-epoch skips that epoch's evaluation; score the weights kept.
        double? evaluated = evaluation is null ? null : outcome.BudgetReached || task.LastEvaluation is null ? model.Accuracy(evaluation) : task.LastEvaluation;
        return new TrainResult
        {
            EpochsRun = outcome.RoundsRun, Steps = (int)outcome.Steps, FinalTrainLoss = task.EpochLoss, FinalTrainAccuracy = task.EpochAccuracy,
            EvaluationAccuracy = evaluated, TrainSeconds = outcome.Seconds, TotalSeconds = outcome.Seconds, Tokens = task.Images,
            BudgetReached = outcome.BudgetReached,
        };
    }
}
