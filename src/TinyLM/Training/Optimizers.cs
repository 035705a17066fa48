using TinyLM.Nn;

namespace TinyLM.Training;

/// <summary>Builds the optimizer, learning-rate schedule and loop settings that <see cref="TrainOptions"/> describe, for every task.</summary>
public static class Optimizers
{
    /// <param name="options">The run's settings.</param>
    /// <param name="model">Whose parameters are optimized.</param>
    /// <param name="applyWeightDecay">Which parameters weight decay touches (null = all); the causal LM decays matrices only.</param>
    public static Optimizer Create(TrainOptions options, Module model, Func<string, Tensors.Tensor, bool>? applyWeightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.NamedParameters();
        return options.Optimizer switch
        {
            OptimizerKind.Adam => new Adam(parameters, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay, applyWeightDecay),
            OptimizerKind.AdamW => new AdamW(parameters, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay, applyWeightDecay),
            OptimizerKind.Sgd => new Sgd(parameters, options.LearningRate, options.Momentum, weightDecay: options.WeightDecay, applyWeightDecay: applyWeightDecay),
            var other => throw new ArgumentOutOfRangeException(nameof(options), other, "unknown optimizer"),
        };
    }

    /// <summary>
    /// Warmup (<see cref="TrainOptions.WarmupSteps"/>, else <see cref="TrainOptions.WarmupFraction"/> of the steps), then the
    /// schedule's decay to <see cref="TrainOptions.ResolvedMinLearningRate"/> over the steps — or over the wall-clock budget
    /// when <see cref="TrainOptions.Minutes"/> is set, so a run stopped by its budget ends low.
    /// </summary>
    public static LrSchedule CreateSchedule(TrainOptions options, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        long warmup = Math.Min(totalSteps, options.WarmupSteps > 0 ? options.WarmupSteps : (long)(options.WarmupFraction * totalSteps));
        float peak = options.LearningRate;
        var schedule = options.Schedule switch
        {
            ScheduleKind.Constant when warmup == 0 => null,
            ScheduleKind.Constant => new WarmupDecayLr(peak, warmup, totalSteps, DecayShape.None, peak),
            ScheduleKind.Linear => WarmupDecayLr.Linear(peak, warmup, totalSteps, options.ResolvedMinLearningRate),
            ScheduleKind.Cosine => WarmupDecayLr.Cosine(peak, warmup, totalSteps, options.ResolvedMinLearningRate),
            var other => throw new ArgumentOutOfRangeException(nameof(options), other, "unknown schedule"),
        };
        if (schedule is null) return new ConstantLr(peak);
        return options.Minutes > 0 ? new BudgetDecayLr(schedule, options.Minutes * 60.0) : schedule;
    }

    /// <summary>
    /// The settings of the one <see cref="Trainer{TBatch}"/> loop that the options fix (clip, dropout seed, weight average,
    /// early stopping, best weights, time budget, checkpoint interval); the caller adds its callbacks and resume point.
    /// </summary>
    public static TrainerSettings Settings(TrainOptions options, Module model, Optimizer optimizer, LrSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        return new TrainerSettings(model, optimizer, schedule)
        {
            ClipNorm = options.ClipNorm,
            DropoutSeed = options.Seed,
            Average = options.AverageDecay > 0 ? new WeightAverage([.. model.Parameters()], options.AverageDecay) : null,
            Patience = options.Patience,
            RestoreBest = options.RestoreBestWeights,
            BudgetSeconds = options.Minutes * 60.0,
            CheckpointEvery = options.CheckpointEvery,
            SkipNonFinite = options.SkipNonFinite,
        };
    }
}
