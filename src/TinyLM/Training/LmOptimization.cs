using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// The optimizer, schedule and update step of nanoGPT-style language-model training (AdamW with decay on matrices
/// only, linear warmup then cosine decay, gradient accumulation, global-norm clipping), shared by
/// <see cref="LmTrainer"/> and LM distillation, which differ only in the loss of a micro-batch. Micro-batches of
/// step s draw from an RNG seeded by (seed, s), so a resumed or re-run step sees the same windows.
/// </summary>
public sealed class LmOptimization
{
    private readonly CausalLM _model;
    private readonly KeyValuePair<string, Tensor>[] _parameters;
    private readonly LmTrainOptions _options;
    private readonly string _caller;

    /// <param name="caller">Names the caller in the error raised when a loss stops being finite.</param>
    public LmOptimization(CausalLM model, LmTrainOptions options, string caller)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _model = model;
        _options = options;
        _caller = caller;
        _parameters = model.NamedParameters().ToArray();
        Optimizer = new AdamW(_parameters, options.LearningRate, options.Beta1, options.Beta2, weightDecay: options.WeightDecay,
            applyWeightDecay: options.DecayEmbeddings ? Nn.Optimizer.DecayMatricesOnly : DecayMatricesButEmbeddings);
        Schedule = new WarmupDecayLr(options.LearningRate, Math.Min(options.WarmupSteps, options.Steps), options.Steps, options.Decay,
            options.MinLearningRate);
    }

    public AdamW Optimizer { get; }

    /// <summary>
    /// Decay on the blocks' matrices only: the token and position tables stay undecayed, and so does the output matrix
    /// when it is the tied token table (an untied <c>output.weight</c> is an ordinary matrix and is decayed).
    /// </summary>
    public static bool DecayMatricesButEmbeddings(string name, Tensor parameter) =>
        Nn.Optimizer.DecayMatricesOnly(name, parameter) && !name.Contains("embeddings", StringComparison.Ordinal);

    public WarmupDecayLr Schedule { get; }

    /// <summary>
    /// Runs update <paramref name="step"/>: sets its learning rate, back-propagates the mean of
    /// <see cref="LmTrainOptions.GradientAccumulation"/> losses from <paramref name="microLoss"/> (each in its own
    /// tensor scope), clips, steps and zeroes the gradients. Returns the mean micro-batch loss and the learning rate.
    /// </summary>
    public (double Loss, float LearningRate) Step(int step, Func<Rng, Tensor> microLoss)
    {
        ArgumentNullException.ThrowIfNull(microLoss);
        float lr = Schedule.LearningRate(step);
        Optimizer.LearningRate = lr;
        var rng = new Rng(_options.Seed * 0x9E3779B97F4A7C15UL + (ulong)step);
        int micros = _options.GradientAccumulation;
        double lossSum = 0;
        for (int micro = 0; micro < micros; micro++)
        {
            using var scope = new TensorScope();
            var loss = microLoss(rng);                                   // ()
            float value = loss.Item();
            if (!float.IsFinite(value))
                throw new InvalidOperationException($"{_caller}: loss became {value} at step {step}; lower the learning rate.");
            lossSum += value;
            (micros == 1 ? loss : loss.Mul(1f / micros)).Backward();
        }
        if (_options.ClipNorm > 0) GradClip.ClipGlobalNorm(_parameters, _options.ClipNorm);
        Optimizer.Step();
        _model.ZeroGrad();
        return (lossSum / micros, lr);
    }
}
