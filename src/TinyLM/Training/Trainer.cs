using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>How the one training loop runs, whatever the task; the optimizer and schedule come built.</summary>
public sealed record TrainerSettings(Module Model, Optimizer Optimizer, LrSchedule Schedule)
{
    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public float ClipNorm { get; init; }

    /// <summary>An exponential moving average of the weights: updated after every step, evaluated and kept.</summary>
    public WeightAverage? Average { get; init; }

    /// <summary>Stop after this many rounds without a better score (0 = never stop early).</summary>
    public int Patience { get; init; }

    /// <summary>Put back the weights of the best-scoring round at the end (when the task scores rounds).</summary>
    public bool RestoreBest { get; init; } = true;

    /// <summary>Wall-clock budget in seconds (0 = none): no step starts after it.</summary>
    public double BudgetSeconds { get; init; }

    /// <summary>Capture a checkpoint every N steps (0 = never).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Also capture one after the last step.</summary>
    public bool CheckpointAtEnd { get; init; }

    /// <summary>Receives the checkpoints.</summary>
    public Action<TrainCheckpoint>? Checkpoint { get; init; }

    /// <summary>A checkpoint to continue from (same model shape, settings and data).</summary>
    public TrainCheckpoint? ResumeFrom { get; init; }

    /// <summary>
    /// Dropout masks of step s come from (this seed, s) — reseeded before every step — so a resumed run draws the masks
    /// the uninterrupted one drew. Null leaves the model's dropout streams running on (not resumable exactly).
    /// </summary>
    public ulong? DropoutSeed { get; init; }

    /// <summary>Called after every optimizer step with its 0-based index (e.g. pruning re-applies its masks).</summary>
    public Action<long>? AfterStep { get; init; }

    /// <summary>
    /// A batch whose loss or gradients are not finite is skipped (no optimizer step, the step still counts) instead of
    /// ending the run with a <see cref="NonFiniteTrainingException"/>.
    /// </summary>
    public bool SkipNonFinite { get; init; }
}

/// <summary>What the loop did, for the task to turn into its result.</summary>
public sealed record TrainerOutcome
{
    /// <summary>Steps done in all (including those before a resume).</summary>
    public long Steps { get; init; }
    /// <summary>Rounds that ran at least one step in this process.</summary>
    public int RoundsRun { get; init; }
    /// <summary>1-based round with the best score, 0 when none was scored.</summary>
    public int BestRound { get; init; }
    /// <summary>The best score, or null when no round was scored.</summary>
    public double? BestScore { get; init; }
    public bool StoppedEarly { get; init; }
    public bool BudgetReached { get; init; }
    public double Seconds { get; init; }
    /// <summary>Batches skipped in this process for a non-finite loss or gradient (<see cref="TrainerSettings.SkipNonFinite"/>).</summary>
    public int SkippedNonFinite { get; init; }
}

/// <summary>
/// The one training loop of every task: rounds of batches; per step the learning rate from the schedule, the task's
/// loss (averaged over its micro-batches), a finite check, backward, clipping, the optimizer step, the weight average,
/// checkpoints; per round the task's evaluation, the best weights and early stopping; resume from a checkpoint continues
/// exactly as the uninterrupted run would. The task (<see cref="ITrainingTask{TBatch}"/>) is a small adapter.
/// </summary>
public sealed class Trainer<TBatch>(ITrainingTask<TBatch> task, TrainerSettings settings)
{
    public TrainerOutcome Fit(CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        var (model, optimizer, schedule) = (settings.Model, settings.Optimizer, settings.Schedule);
        // A quantized weight runs without recording a gradient, so training it would silently change nothing.
        if (model.HasQuantizedWeights)
            throw new InvalidOperationException($"{task.Name}: the model runs quantized weights, which cannot be trained; train its float32 original.");
        var average = settings.Average;
        long step = 0, checkpointed = -1;
        if (settings.ResumeFrom is { } resume)
        {
            resume.RestoreInto(model, optimizer);
            if (average is not null) resume.RestoreAverage(model, average);
            step = checkpointed = resume.Step;
        }
        int skipped = 0;
        var clock = new TrainerClock(step, task.TotalSteps);
        var best = new BestWeights([.. model.Parameters()]);
        int roundsRun = 0, bestRound = 0, roundsWithoutImprovement = 0;
        bool stoppedEarly = false, outOfTime = false;
        long roundStart = 0;
        float lr = 0f;
        model.Train();
        for (int round = 0; round < task.Rounds && !stoppedEarly && !outOfTime; round++)
        {
            var batches = task.BeginRound(round);
            // Rounds finished before the checkpoint are skipped whole; the one it fell in resumes mid-way (skip ≥ 0:
            // rounds run in order, so the step count never trails the round's start).
            long skip = step - roundStart;
            roundStart += batches.Count;
            if (skip >= batches.Count) continue;
            int ran = 0;
            for (int bi = (int)skip; bi < batches.Count; bi++)
            {
                if (cancel.IsCancellationRequested) throw Interrupted(step, ref checkpointed, average);
                if (settings.BudgetSeconds > 0 && clock.Elapsed.TotalSeconds >= settings.BudgetSeconds)
                {
                    outOfTime = true;
                    break;
                }
                lr = schedule.LearningRate(step);
                optimizer.LearningRate = lr;
                if (!RunStep(batches[bi], step, round, optimizer, average)) skipped++;
                step++;
                ran++;
                // The task's step ends before the checkpoint is written, so writing it is not counted as training time.
                task.EndStep(batches[bi], step, lr, clock);
                if (settings.Checkpoint is not null
                    && ((settings.CheckpointEvery > 0 && step % settings.CheckpointEvery == 0) || (settings.CheckpointAtEnd && step == task.TotalSteps)))
                {
                    settings.Checkpoint(TrainCheckpoint.Capture(model, optimizer, (int)step, average));
                    checkpointed = step;
                }
            }
            if (ran == 0) break;
            roundsRun++;

            // With averaging, the average is what is evaluated and what the best weights keep.
            double bestBefore = best.Score;
            double? score = average is null ? EvaluateAndKeepBest(round, step, lr, clock, best) : average.WithAverage(() => EvaluateAndKeepBest(round, step, lr, clock, best));
            if (score is null) continue;
            if (best.Score > bestBefore)
            {
                bestRound = round + 1;
                roundsWithoutImprovement = 0;
            }
            else if (settings.Patience > 0 && ++roundsWithoutImprovement >= settings.Patience)
            {
                stoppedEarly = true;
            }
        }

        if (settings.RestoreBest && best.HasWeights) best.Restore();
        else average?.CopyToParameters();
        return new TrainerOutcome
        {
            Steps = step, RoundsRun = roundsRun, BestRound = bestRound, BestScore = best.HasWeights ? best.Score : null,
            StoppedEarly = stoppedEarly, BudgetReached = outOfTime, Seconds = clock.Elapsed.TotalSeconds, SkippedNonFinite = skipped,
        };
    }

    // A stop request (Ctrl-C, SIGTERM) is honoured between steps, where the state is exactly a checkpoint's: one is
    // written then (unless the last one already holds this step), so the run resumes as if never stopped.
    private TrainingInterruptedException Interrupted(long step, ref long checkpointed, WeightAverage? average)
    {
        bool saved = false;
        if (settings.Checkpoint is not null && step > 0)
        {
            if (checkpointed != step) settings.Checkpoint(TrainCheckpoint.Capture(settings.Model, settings.Optimizer, (int)step, average));
            checkpointed = step;
            saved = true;
        }
        return new TrainingInterruptedException(task.Name, step, saved);
    }

    // One optimizer step; false when the batch was skipped for a non-finite loss or gradient (SkipNonFinite).
    private bool RunStep(TBatch batch, long step, int round, Optimizer optimizer, WeightAverage? average)
    {
        if (settings.DropoutSeed is { } seed) settings.Model.ReseedForStep(seed, step);
        task.BeginStep(batch, step);
        int micros = task.MicroBatches;
        for (int micro = 0; micro < micros; micro++)
        {
            using var scope = new TensorScope();
            var loss = task.Loss(batch, micro);                             // ()
            float value = loss.Item();
            if (!float.IsFinite(value))
                return SkipOrThrow(new NonFiniteTrainingException(task.Name, step, round, $"the loss is {value}"), optimizer);
            task.Observe(batch, micro, value);
            (micros == 1 ? loss : loss.Mul(1f / micros)).Backward();
        }
        // Checked before clipping (which would spread one NaN over every weight) and before the step writes any weight.
        if (optimizer.FindNonFiniteGradient() is { } bad)
            return SkipOrThrow(new NonFiniteTrainingException(task.Name, step, round, bad), optimizer);
        if (settings.ClipNorm > 0) optimizer.ClipGradients(settings.ClipNorm);
        optimizer.Step();
        settings.AfterStep?.Invoke(step);
        average?.Update();
        optimizer.ZeroGrad();
        return true;
    }

    private bool SkipOrThrow(NonFiniteTrainingException fault, Optimizer optimizer)
    {
        if (!settings.SkipNonFinite) throw fault;
        optimizer.ZeroGrad(); // the skipped batch's partial gradients must not leak into the next step
        return false;
    }

    private double? EvaluateAndKeepBest(int round, long step, float lr, TrainerClock clock, BestWeights best)
    {
        double? score = task.EndRound(round, step, lr, clock);
        if (score is { } s && s > best.Score) best.Capture(s);
        return score;
    }
}
