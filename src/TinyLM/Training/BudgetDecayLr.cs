using System.Diagnostics;
using TinyLM.Nn;

namespace TinyLM.Training;

/// <summary>
/// A schedule for a run bounded by wall-clock time: the warmup counts steps as usual, then the decay follows the share
/// of the budget spent (not of the steps), so a run that its budget stops ends at the low rate instead of mid-decay.
/// Not reproducible step for step (it reads a clock); epoch- or step-counted runs use the plain schedule.
/// </summary>
internal sealed class BudgetDecayLr(WarmupDecayLr schedule, double budgetSeconds) : LrSchedule
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public override float LearningRate(long step)
    {
        CheckStep(step, nameof(BudgetDecayLr));
        return step < schedule.WarmupSteps ? schedule.LearningRate(step) : schedule.AfterWarmup(_clock.Elapsed.TotalSeconds / budgetSeconds);
    }
}
