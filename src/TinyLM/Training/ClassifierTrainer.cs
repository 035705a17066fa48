using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Trains text classifiers on the one <see cref="Trainer{TBatch}"/> loop (<see cref="ClassifierTrainingTask"/>): length-bucketed shuffled batches, cross-entropy (or binary
/// cross-entropy for multi-label), gradient clipping, a learning-rate schedule, validation after every
/// epoch, early stopping that restores the best weights, checkpoints every N steps, and optionally an exponential
/// moving average of the weights that is what gets validated and kept.
/// Same seed and data → the same weights, bit for bit, at any thread count.
/// </summary>
public sealed class ClassifierTrainer(TextClassifier model, TrainOptions options)
{
    /// <summary>Called after every step and at each epoch's end.</summary>
    public IProgress<TrainProgress>? Progress { get; init; }

    /// <summary>Called every <see cref="TrainOptions.CheckpointEvery"/> steps with the state to save.</summary>
    public Action<TrainCheckpoint>? Checkpoint { get; init; }

    /// <summary>Called after every optimizer step with the step's index (e.g. pruning re-applies its masks here).</summary>
    public Action<int>? AfterStep { get; init; }

    /// <summary>A checkpoint to continue from (same model shape, options and data).</summary>
    public TrainCheckpoint? ResumeFrom { get; init; }

    /// <summary>
    /// Replaces the loss of training steps (validation keeps the plain one): (logits (B, C), indices of the batch's
    /// examples in the training set) → scalar loss. Distillation uses it to add the teacher's soft targets.
    /// </summary>
    public Func<Tensor, int[], Tensor>? TrainingLoss { get; init; }

    public TrainResult Fit(TextDataset train, TextDataset? validation = null, CancellationToken cancel = default)
    {
        if (!model.HasNetwork) return FitHeadsOnly(train);
        bool trainable = model.Embedding.Weight.RequiresGrad;
        try
        {
            return FitCore(train, validation, cancel);
        }
        finally
        {
            model.Embedding.Weight.RequiresGrad = trainable;
        }
    }

    private TrainResult FitCore(TextDataset train, TextDataset? validation, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException($"{train.Source}: no training examples.");

        var clock = Stopwatch.StartNew();
        var classifier = options.Classifier;
        if (classifier.WarmStartEpochs > 0 && model.Config.Encoder != EncoderKind.Bag && ResumeFrom is null)
            EmbeddingWarmStart.Apply(model, train, classifier.WarmStartEpochs, options.Seed, classifier.WarmStartLearningRate);

        var optimizer = Optimizers.Create(options, model);
        if (classifier.SparseEmbeddingUpdates) optimizer.UpdateRowsOnly(model.Embedding.Weight, model.Embedding.EmbeddingDim);
        var task = new ClassifierTrainingTask(model, options, train, validation, classifier.SparseEmbeddingUpdates ? optimizer : null, TrainingLoss, Progress);
        if (ResumeFrom is null) model.Mixture.FitHeads(task.Ids, task.SingleTargets, options.Seed);

        // A frozen table gets no gradient, so the optimizer, clipping and the average skip it.
        if (classifier.FreezeEmbeddings) model.Embedding.Weight.RequiresGrad = false;
        var outcome = new Trainer<int[]>(task, Optimizers.Settings(options, model, optimizer, Optimizers.CreateSchedule(options, task.TotalSteps)) with
        {
            Checkpoint = Checkpoint,
            ResumeFrom = ResumeFrom,
            AfterStep = AfterStep is null ? null : step => AfterStep((int)step),
        }).Fit(cancel);

        return new TrainResult
        {
            EpochsRun = outcome.RoundsRun,
            Steps = (int)outcome.Steps, SkippedNonFinite = outcome.SkippedNonFinite,
            BestEpoch = outcome.BestRound,
            BestValidationAccuracy = outcome.BestScore,
            FinalTrainLoss = task.EpochLoss,
            TrainSeconds = clock.Elapsed.TotalSeconds,
            TotalSeconds = clock.Elapsed.TotalSeconds,
            Tokens = task.Tokens,
            StoppedEarly = outcome.StoppedEarly,
            BudgetReached = outcome.BudgetReached,
        };
    }

    // An SVM-only model has no network to train: fitting it is fitting its heads, in no epochs.
    private TrainResult FitHeadsOnly(TextDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException($"{train.Source}: no training examples.");
        if (ResumeFrom is not null) throw new ArgumentException("ClassifierTrainer: an SVM-only model has no training steps to resume.");
        var clock = Stopwatch.StartNew();
        var ids = model.Inputs.EncodeAll(train.Examples.Select(e => e.Text).ToArray());
        model.Mixture.FitHeads(ids, ClassifierTargets.Of(model, train).Single, options.Seed);
        return new TrainResult { TrainSeconds = clock.Elapsed.TotalSeconds };
    }
}
