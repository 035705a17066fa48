using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// The optimizer and schedule of nanoGPT-style language-model training (AdamW with decay on matrices only, linear
/// warmup then cosine decay, global-norm clipping), shared by <see cref="CausalLMTrainer"/> and LM distillation, which
/// differ only in the loss of a micro-batch (see <see cref="CausalLMTrainingTask"/>).
/// </summary>
public sealed class CausalLMOptimization
{
    private readonly CausalLM _model;
    private readonly CausalLMTrainOptions _options;
    public CausalLMOptimization(CausalLM model, CausalLMTrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _model = model;
        _options = options;
        Optimizer = new AdamW(model.NamedParameters(), options.LearningRate, options.Beta1, options.Beta2, weightDecay: options.WeightDecay,
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

    /// <summary>The settings of the one <see cref="Trainer{TBatch}"/> loop for this optimizer, schedule and clip.</summary>
    public TrainerSettings Settings() => new(_model, Optimizer, Schedule) { ClipNorm = _options.ClipNorm, DropoutSeed = _options.Seed };
}
