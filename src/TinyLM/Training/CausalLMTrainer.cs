using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// Trains a <see cref="CausalLM"/> on the one <see cref="Trainer{TBatch}"/> loop (<see cref="CausalLMTrainingTask"/>) as nanoGPT does: random windows, AdamW (decay on matrices only),
/// linear warmup then cosine decay, global-norm clipping, gradient accumulation, and loss estimates on fixed train
/// and validation batches every <see cref="CausalLMTrainOptions.EvalEvery"/> steps. Windows of step s come from an RNG
/// seeded by (seed, s), so a resumed run continues exactly as the uninterrupted one would.
/// </summary>
public sealed class CausalLMTrainer(CausalLM model, TrainOptions options)
{
    /// <summary>Called after every step and after each evaluation.</summary>
    public IProgress<TrainProgress>? Progress { get; init; }

    /// <summary>Called every <see cref="TrainOptions.CheckpointEvery"/> steps (and at the end) with the state to save.</summary>
    public Action<TrainCheckpoint>? Checkpoint { get; init; }

    /// <summary>A checkpoint to continue from (same model shape, options and data).</summary>
    public TrainCheckpoint? ResumeFrom { get; init; }

    /// <summary>Runs the remaining steps and returns the final loss estimates.</summary>
    public TrainResult Fit(CausalLMData data, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        if (options.Steps < 1) throw new ArgumentException($"steps must be ≥ 1 for a language model, got {options.Steps} (start from TrainOptions.ForCausalLM).");
        if (data.Context > model.Config.ContextLength)
            throw new ArgumentException($"CausalLMTrainer: data windows of {data.Context} exceed the model's context length {model.Config.ContextLength}.");
        var evalRng = new Rng(options.Seed ^ 0xE7A1UL);
        var trainEval = FixedBatches(data, data.Train, evalRng);
        var validEval = FixedBatches(data, data.Valid, evalRng);
        var task = new CausalLMTrainingTask(model, options, (long)options.BatchSize * options.GradientAccumulation * data.Context,
            rng =>
            {
                var (x, y) = data.Batch(data.Train, options.BatchSize, rng);
                return model.Loss(x, y);
            }, trainEval, validEval, Progress, nameof(CausalLMTrainer));
        var settings = new CausalLMOptimization(model, options).Settings() with
        {
            CheckpointEvery = options.CheckpointEvery, CheckpointAtEnd = true, Checkpoint = Checkpoint, ResumeFrom = ResumeFrom,
        };
        var outcome = new Trainer<int>(task, settings).Fit(cancel);
        if (double.IsNaN(task.ValidationLoss)) task.Estimate(); // resumed at the end: no step ran, nothing estimated
        double? fullValidLoss = options.CausalLM.FullValidation ? WholeSplitLoss(model, data.Valid, data.Context, options.BatchSize) : null;
        return new TrainResult
        {
            Steps = (int)outcome.Steps, SkippedNonFinite = outcome.SkippedNonFinite, FinalTrainLoss = task.TrainLoss, ValidationLoss = task.ValidationLoss, FullValidationLoss = fullValidLoss,
            TrainSeconds = task.TrainingTime.TotalSeconds, TotalSeconds = outcome.Seconds, Tokens = task.Tokens, BudgetReached = outcome.BudgetReached,
        };
    }

    /// <summary>Mean loss of <paramref name="model"/> over fixed batches (evaluation mode, no gradients).</summary>
    public static double MeanLoss(CausalLM model, IReadOnlyList<(IntTensor X, IntTensor Y)> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        bool wasTraining = model.Training;
        model.Eval();
        double sum = 0;
        using (Tensor.NoGrad())
            foreach (var (x, y) in batches)
            {
                using var scope = new TensorScope();
                sum += model.Loss(x, y).Item();
            }
        model.Train(wasTraining);
        return sum / batches.Count;
    }

    /// <summary>
    /// Mean next-token loss over every non-overlapping window of <paramref name="context"/> tokens of
    /// <paramref name="ids"/> (window i covers ids[i·T, (i+1)·T] with its shifted targets; the tail shorter than a
    /// window is left out), in batches of <paramref name="batchSize"/> windows: an exact per-token mean, unlike the
    /// random-batch estimate.
    /// </summary>
    public static double WholeSplitLoss(CausalLM model, int[] ids, int context, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        if (context < 1 || batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(context), $"CausalLMTrainer.WholeSplitLoss: context {context} and batch size {batchSize} must be ≥ 1.");
        int windows = (ids.Length - 1) / context;
        if (windows < 1)
            throw new ArgumentException($"CausalLMTrainer.WholeSplitLoss: {ids.Length} tokens hold no window of {context} + 1.");
        bool wasTraining = model.Training;
        model.Eval();
        double sum = 0;
        using (Tensor.NoGrad())
            for (int first = 0; first < windows; first += batchSize)
            {
                int b = Math.Min(batchSize, windows - first);
                var x = new int[b * context];
                var y = new int[b * context];
                Array.Copy(ids, first * context, x, 0, b * context);
                Array.Copy(ids, first * context + 1, y, 0, b * context);
                using var scope = new TensorScope();
                // The loss is a mean over b·T tokens; weight it by b so the result is the mean over all windows' tokens.
                sum += (double)model.Loss(new IntTensor(x, b, context), new IntTensor(y, b, context)).Item() * b;
            }
        model.Train(wasTraining);
        return sum / windows;
    }

    private List<(IntTensor X, IntTensor Y)> FixedBatches(CausalLMData data, int[] ids, Rng rng)
    {
        var list = new List<(IntTensor, IntTensor)>(options.CausalLM.EvalBatches);
        for (int i = 0; i < options.CausalLM.EvalBatches; i++) list.Add(data.Batch(ids, options.BatchSize, rng));
        return list;
    }
}
