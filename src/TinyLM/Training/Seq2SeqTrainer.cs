using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Teacher-forced training of a <see cref="Seq2SeqModel"/> on the one <see cref="Trainer{TBatch}"/> loop (<see cref="Seq2SeqTrainingTask"/>): token-budget batches bucketed by length, label-smoothed
/// cross-entropy ignoring padding, and the options' optimizer and schedule (by default AdamW, β₂ = 0.98, linear warm-up then linear decay over the steps of all epochs,
/// or over the wall-clock budget when <see cref="TrainOptions.Minutes"/> is set), global-norm clipping,
/// validation loss after every epoch and the best weights restored at the end. With an epoch count (no time budget)
/// the same seed and data give the same weights at any thread count.
/// </summary>
public sealed class Seq2SeqTrainer(Seq2SeqModel model, TrainOptions options)
{
    /// <summary>Called after every step and at each epoch's end (Accuracy carries the token accuracy).</summary>
    public IProgress<TrainProgress>? Progress { get; init; }

    /// <summary>Called every <see cref="TrainOptions.CheckpointEvery"/> steps with the state to save.</summary>
    public Action<TrainCheckpoint>? Checkpoint { get; init; }

    /// <summary>A checkpoint to continue from (same model shape, options and data; with no time budget, exactly).</summary>
    public TrainCheckpoint? ResumeFrom { get; init; }

    public TrainResult Fit(ParallelCorpus train, ParallelCorpus? validation = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        var data = Seq2SeqData.Encode(model, train, Math.Min(options.Seq2Seq.MaxTrainLength, Math.Min(model.Config.MaxSourceLength, model.Config.MaxTargetLength)), filter: true);
        var valid = validation is null ? null : Seq2SeqData.Encode(model, validation, Math.Min(model.Config.MaxSourceLength, model.Config.MaxTargetLength), filter: false);
        var task = new Seq2SeqTrainingTask(model, options, data, valid, Progress);
        var optimizer = Optimizers.Create(options, model);
        var outcome = new Trainer<int[]>(task, Optimizers.Settings(options, model, optimizer, Optimizers.CreateSchedule(options, task.TotalSteps)) with
        {
            Checkpoint = Checkpoint, ResumeFrom = ResumeFrom,
        }).Fit(cancel);
        model.Eval();
        return new TrainResult
        {
            EpochsRun = outcome.RoundsRun, Steps = (int)outcome.Steps, SkippedNonFinite = outcome.SkippedNonFinite, TrainSeconds = outcome.Seconds, TotalSeconds = outcome.Seconds, Tokens = task.Tokens,
            FinalTrainLoss = task.EpochLoss, ValidationLoss = -outcome.BestScore, BestEpoch = outcome.BestRound, Filtered = data.Filtered,
            BudgetReached = outcome.BudgetReached,
        };
    }

    /// <summary>Mean per-token cross-entropy (no label smoothing) of <paramref name="corpus"/> under the model.</summary>
    public static double Loss(Seq2SeqModel model, ParallelCorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(model);
        var data = Seq2SeqData.Encode(model, corpus, Math.Min(model.Config.MaxSourceLength, model.Config.MaxTargetLength), filter: false);
        bool wasTraining = model.Training;
        try { return ValidationLoss(model, data); }
        finally { model.Train(wasTraining); }
    }

    /// <summary>Mean per-token cross-entropy of encoded pairs (evaluation mode; the caller restores training mode).</summary>
    internal static double ValidationLoss(Seq2SeqModel model, Seq2SeqData valid)
    {
        model.Eval();
        double sum = 0;
        long count = 0;
        using (Tensor.NoGrad())
            foreach (var indices in TokenBatching.ByTokens(valid.PairLengths(), 4096, 0, shuffle: false))
            {
                using var scope = new TensorScope();
                var (src, tgtIn, tgtOut) = valid.Batch(model, indices);
                var logits = model.Logits(src, tgtIn);
                long n = Seq2SeqTrainingTask.Sum(tgtOut.Lengths);
                sum += Tensor.CrossEntropy(logits, new IntTensor(tgtOut.Ids, tgtOut.B, tgtOut.T), model.PadId).Item() * n;
                count += n;
            }
        return count == 0 ? 0 : sum / count;
    }
}
