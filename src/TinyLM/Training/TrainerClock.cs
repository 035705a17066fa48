using System.Diagnostics;

namespace TinyLM.Training;

/// <summary>The wall clock of one <see cref="Trainer{TBatch}"/> run, for rates and time-left estimates in progress reports.</summary>
public sealed class TrainerClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    internal TrainerClock(long firstStep, long totalSteps)
    {
        FirstStep = firstStep;
        TotalSteps = totalSteps;
    }

    /// <summary>The step the run started at (non-zero when resumed).</summary>
    public long FirstStep { get; }

    /// <summary>Steps planned for the whole run.</summary>
    public long TotalSteps { get; }

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>Time left at the pace of the steps run so far (in this process: a resumed run's earlier steps do not count).</summary>
    public TimeSpan Remaining(long steps)
    {
        long done = steps - FirstStep;
        return done > 0 ? TimeSpan.FromSeconds(Elapsed.TotalSeconds / done * Math.Max(0, TotalSteps - steps)) : TimeSpan.Zero;
    }
}
