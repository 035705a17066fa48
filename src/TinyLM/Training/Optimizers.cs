using TinyLM.Nn;

namespace TinyLM.Training;

/// <summary>Builds the optimizer and learning-rate schedule that <see cref="TrainOptions"/> describe.</summary>
public static class Optimizers
{
    public static Optimizer Create(TrainOptions options, Module model)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.NamedParameters();
        return options.Optimizer switch
        {
            OptimizerKind.Adam => new Adam(parameters, options.LearningRate, weightDecay: options.WeightDecay),
            // Decoupled decay on matrices only: biases, norms and embeddings are not shrunk.
            OptimizerKind.AdamW => new AdamW(parameters, options.LearningRate, weightDecay: options.WeightDecay),
            OptimizerKind.Sgd => new Sgd(parameters, options.LearningRate, options.Momentum, weightDecay: options.WeightDecay),
            var other => throw new ArgumentOutOfRangeException(nameof(options), other, "unknown optimizer"),
        };
    }

    public static LrSchedule CreateSchedule(TrainOptions options, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        long warmup = (long)(options.WarmupFraction * totalSteps);
        return options.Schedule switch
        {
            ScheduleKind.Constant when warmup == 0 => new ConstantLr(options.LearningRate),
            ScheduleKind.Constant => new WarmupDecayLr(options.LearningRate, warmup, totalSteps, DecayShape.Linear, options.LearningRate),
            ScheduleKind.Linear => WarmupDecayLr.Linear(options.LearningRate, warmup, totalSteps),
            ScheduleKind.Cosine => WarmupDecayLr.Cosine(options.LearningRate, warmup, totalSteps, options.LearningRate * 0.1f),
            var other => throw new ArgumentOutOfRangeException(nameof(options), other, "unknown schedule"),
        };
    }
}
