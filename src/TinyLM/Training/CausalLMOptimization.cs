using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// The optimizer and schedule of language-model training (by default nanoGPT's: AdamW with decay on matrices only,
/// linear warmup then cosine decay, global-norm clipping; any <see cref="TrainOptions"/> choice otherwise), shared by <see cref="CausalLMTrainer"/> and LM distillation, which
/// differ only in the loss of a micro-batch (see <see cref="CausalLMTrainingTask"/>).
/// </summary>
public sealed class CausalLMOptimization
{
    private readonly CausalLM _model;
    private readonly TrainOptions _options;
    public CausalLMOptimization(CausalLM model, TrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _model = model;
        _options = options;
        Optimizer = Optimizers.Create(options, model, options.CausalLM.DecayEmbeddings ? Nn.Optimizer.DecayMatricesOnly : DecayMatricesButEmbeddings);
        Schedule = Optimizers.CreateSchedule(options, options.Steps);
    }

    public Optimizer Optimizer { get; }

    /// <summary>
    /// Decay on the blocks' matrices only: the token and position tables stay undecayed, and so does the output matrix
    /// when it is the tied token table (an untied <c>output.weight</c> is an ordinary matrix and is decayed).
    /// </summary>
    public static bool DecayMatricesButEmbeddings(string name, Tensor parameter) =>
        Nn.Optimizer.DecayMatricesOnly(name, parameter) && !name.Contains("embeddings", StringComparison.Ordinal);

    public LrSchedule Schedule { get; }

    /// <summary>The settings of the one <see cref="Trainer{TBatch}"/> loop for this optimizer, schedule and the options' loop fields.</summary>
    public TrainerSettings Settings() => Optimizers.Settings(_options, _model, Optimizer, Schedule);
}
