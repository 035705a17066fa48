using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// What one task (classification, language modelling, translation, distillation) adds to the one
/// <see cref="Trainer{TBatch}"/> loop: its batches, the loss of a batch, its running statistics and progress, and the
/// evaluation at the end of a round. Training is a sequence of rounds (epochs, or the steps between two evaluations),
/// each a list of batches; one batch is one optimizer step.
/// </summary>
/// <typeparam name="TBatch">Whatever the task needs to compute one step's loss (example indices, a step number …).</typeparam>
public interface ITrainingTask<TBatch>
{
    /// <summary>Names the task in errors (e.g. a loss that stopped being finite).</summary>
    string Name { get; }

    /// <summary>Rounds in the whole run.</summary>
    int Rounds { get; }

    /// <summary>Optimizer steps in the whole run (for schedules and time estimates).</summary>
    long TotalSteps { get; }

    /// <summary>Losses averaged into one step (gradient accumulation); 1 for most tasks.</summary>
    int MicroBatches { get; }

    /// <summary>
    /// The batches of round <paramref name="round"/> in order, and the start of that round's statistics. The list must
    /// depend on the round (and the task's seed) only, so a resumed run replays the same batches.
    /// </summary>
    IReadOnlyList<TBatch> BeginRound(int round);

    /// <summary>Called before the step's losses: per-step state (dropout seeds, the rows a sparse update touches …).</summary>
    void BeginStep(TBatch batch, long step);

    /// <summary>The scalar loss of micro-batch <paramref name="micro"/> of <paramref name="batch"/>; ().</summary>
    Tensor Loss(TBatch batch, int micro);

    /// <summary>
    /// Called with the finite value of each micro-batch loss, inside the scope of its tensors (the logits of the last
    /// <see cref="Loss"/> are still alive here), for the task's running statistics.
    /// </summary>
    void Observe(TBatch batch, int micro, float loss);

    /// <summary>Called after the optimizer step, with the step count so far and its learning rate: progress reports.</summary>
    void EndStep(TBatch batch, long steps, float learningRate, TrainerClock clock);

    /// <summary>
    /// Called at the end of a round that ran at least one step: evaluates. Returns the score that early stopping and the
    /// best weights follow (higher is better; a loss is returned negated), or null when the task keeps no best weights.
    /// </summary>
    double? EndRound(int round, long steps, float learningRate, TrainerClock clock);
}
