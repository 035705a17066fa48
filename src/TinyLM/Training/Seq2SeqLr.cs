using System.Diagnostics;
using TinyLM.Nn;

namespace TinyLM.Training;

/// <summary>
/// Translation's schedule: linear warm-up, then linear decay to 5% of the peak over the planned steps, or over the
/// wall-clock budget when there is one (the rate then follows elapsed time, so a run stopped by its budget ends low).
/// </summary>
internal sealed class Seq2SeqLr(float peak, int warmupSteps, long totalSteps, double budgetSeconds) : LrSchedule
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public override float LearningRate(long step)
    {
        CheckStep(step, nameof(Seq2SeqLr));
        float warm = warmupSteps > 0 ? Math.Min(1f, (step + 1f) / warmupSteps) : 1f;
        double progress = budgetSeconds > 0 ? _clock.Elapsed.TotalSeconds / budgetSeconds : (double)step / Math.Max(1, totalSteps);
        float decay = (float)Math.Max(0.05, 1.0 - progress);
        return peak * Math.Min(warm, decay);
    }
}
