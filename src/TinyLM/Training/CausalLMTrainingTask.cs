using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.Training;

/// <summary>
/// Language modelling (and its distillation) as a task of the one <see cref="Trainer{TBatch}"/>, nanoGPT's way: a batch
/// is a step number, whose micro-batches draw random windows from an RNG seeded by (seed, step) — so a resumed or
/// re-run step sees the same windows — and a round is the steps between two loss estimates on fixed train and
/// validation batches. The micro-batch loss is the caller's (cross-entropy, or the distillation loss).
/// </summary>
internal sealed class CausalLMTrainingTask(CausalLM model, TrainOptions options, long tokensPerStep, Func<Rng, Tensor> microLoss,
    IReadOnlyList<(IntTensor X, IntTensor Y)> trainEval, IReadOnlyList<(IntTensor X, IntTensor Y)> validEval,
    IProgress<TrainProgress>? progress, string name) : ITrainingTask<int>
{
    private readonly Stopwatch _training = new();
    private Rng _rng = new(0);
    private double _stepLoss;

    public string Name => name;
    public int Rounds => options.CausalLM.EvalEvery > 0 ? (options.Steps + options.CausalLM.EvalEvery - 1) / options.CausalLM.EvalEvery : 1;
    public long TotalSteps => options.Steps;
    public int MicroBatches => options.GradientAccumulation;
    public long Tokens { get; private set; }
    public double TrainLoss { get; private set; } = double.NaN;
    public double ValidationLoss { get; private set; } = double.NaN;
    /// <summary>Time spent in training steps only (not in the loss estimates).</summary>
    public TimeSpan TrainingTime => _training.Elapsed;

    private int RoundLength => options.CausalLM.EvalEvery > 0 ? options.CausalLM.EvalEvery : options.Steps;

    public IReadOnlyList<int> BeginRound(int round)
    {
        int first = round * RoundLength, end = Math.Min(options.Steps, first + RoundLength);
        return [.. Enumerable.Range(first, end - first)];
    }

    public void BeginStep(int batch, long step)
    {
        _training.Start();
        _rng = new Rng(options.Seed * 0x9E3779B97F4A7C15UL + (ulong)step);
        _stepLoss = 0;
    }

    public Tensor Loss(int batch, int micro) => microLoss(_rng);

    public void Observe(int batch, int micro, float loss) => _stepLoss += loss;

    public void EndStep(int batch, long steps, float learningRate, TrainerClock clock)
    {
        Tokens += tokensPerStep;
        _training.Stop();
        // The last step of a round is reported at the round's end, with the loss estimates.
        if (steps % RoundLength != 0 && steps != options.Steps) Report(steps, learningRate, clock, evaluated: false);
    }

    public double? EndRound(int round, long steps, float learningRate, TrainerClock clock)
    {
        Estimate();
        Report(steps, learningRate, clock, evaluated: true);
        return null; // language models keep their last weights
    }

    /// <summary>Loss estimates on the fixed batches.</summary>
    public void Estimate()
    {
        TrainLoss = CausalLMTrainer.MeanLoss(model, trainEval);
        ValidationLoss = CausalLMTrainer.MeanLoss(model, validEval);
    }

    private void Report(long steps, float learningRate, TrainerClock clock, bool evaluated)
    {
        if (progress is null) return;
        progress.Report(new TrainProgress
        {
            Step = (int)steps, TotalSteps = options.Steps, Loss = _stepLoss / options.GradientAccumulation, LearningRate = learningRate,
            TokensPerSecond = _training.Elapsed.TotalSeconds > 0 ? Tokens / _training.Elapsed.TotalSeconds : 0,
            Elapsed = clock.Elapsed, Remaining = clock.Remaining(steps),
            TrainLoss = evaluated ? TrainLoss : null, ValidationLoss = evaluated ? ValidationLoss : null, Milestone = evaluated,
        });
    }
}
