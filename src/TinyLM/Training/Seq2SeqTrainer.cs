using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Teacher-forced training of a <see cref="Seq2SeqModel"/>: token-budget batches bucketed by length, label-smoothed
/// cross-entropy ignoring padding, AdamW (β₂ = 0.98), linear warm-up then linear decay (over the steps of all epochs,
/// or over the wall-clock budget when <see cref="Seq2SeqTrainOptions.Minutes"/> is set), global-norm clipping,
/// validation loss after every epoch and the best weights restored at the end. With an epoch count (no time budget)
/// the same seed and data give the same weights at any thread count.
/// </summary>
public sealed class Seq2SeqTrainer(Seq2SeqModel model, Seq2SeqTrainOptions options)
{
    /// <summary>Called after every step and at each epoch's end (Accuracy carries the token accuracy).</summary>
    public IProgress<TrainProgress>? Progress { get; init; }

    public Seq2SeqTrainResult Fit(ParallelCorpus train, ParallelCorpus? validation = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        var data = Seq2SeqData.Encode(model, train, Math.Min(options.MaxTrainLength, Math.Min(model.Config.MaxSourceLength, model.Config.MaxTargetLength)), filter: true);
        var valid = validation is null ? null : Seq2SeqData.Encode(model, validation, Math.Min(model.Config.MaxSourceLength, model.Config.MaxTargetLength), filter: false);
        var pairLengths = data.PairLengths();
        int stepsPerEpoch = TokenBatching.ByTokens(pairLengths, options.BatchTokens, options.Seed).Count;
        long totalSteps = (long)stepsPerEpoch * options.Epochs;
        double budget = options.Minutes * 60.0;

        var parameters = model.Parameters().ToArray();
        var optimizer = new AdamW(model.NamedParameters(), options.LearningRate, beta2: 0.98f, eps: 1e-9f, weightDecay: options.WeightDecay);
        var best = new BestWeights(parameters);
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        int step = 0, epochsRun = 0, bestEpoch = 0;
        double epochLoss = 0;
        bool outOfTime = false;
        model.Train();
        for (int epoch = 0; epoch < options.Epochs && !outOfTime; epoch++)
        {
            var batches = TokenBatching.ByTokens(pairLengths, options.BatchTokens, options.Seed + (ulong)epoch * 7919UL);
            double lossSum = 0;
            long targetTokens = 0, correct = 0;
            foreach (var indices in batches)
            {
                cancel.ThrowIfCancellationRequested();
                if (budget > 0 && clock.Elapsed.TotalSeconds >= budget) { outOfTime = true; break; }
                float lr = LearningRate(step, totalSteps, budget > 0 ? clock.Elapsed.TotalSeconds / budget : -1);
                optimizer.LearningRate = lr;
                using (new TensorScope())
                {
                    var (src, tgtIn, tgtOut) = data.Batch(model, indices);
                    var logits = model.Logits(src, tgtIn);                                       // (B, T, V)
                    var loss = Tensor.CrossEntropy(logits, new IntTensor(tgtOut.Ids, tgtOut.B, tgtOut.T), model.PadId, options.LabelSmoothing);
                    float lossValue = loss.Item();
                    if (!float.IsFinite(lossValue))
                        throw new InvalidOperationException($"Seq2SeqTrainer: loss became {lossValue} at step {step} (epoch {epoch + 1}); lower the learning rate.");
                    loss.Backward();
                    if (options.ClipNorm > 0) GradClip.ClipGlobalNorm(parameters, options.ClipNorm);
                    optimizer.Step();
                    model.ZeroGrad();
                    long n = Sum(tgtOut.Lengths);
                    lossSum += lossValue * n;
                    targetTokens += n;
                    correct += CountCorrect(logits, tgtOut);
                    tokens += n + Sum(src.Lengths);
                }
                step++;
                Report(epoch, step, totalSteps, lossSum / Math.Max(1, targetTokens), (double)correct / Math.Max(1, targetTokens), tokens, clock.Elapsed, lr, null, false);
            }
            if (targetTokens == 0) break;
            epochsRun++;
            epochLoss = lossSum / targetTokens;
            double? validLoss = null;
            if (valid is not null)
            {
                validLoss = ValidationLoss(valid);
                if (-validLoss.Value > best.Accuracy)
                {
                    best.Capture(-validLoss.Value);
                    bestEpoch = epoch + 1;
                }
            }
            Report(epoch, step, totalSteps, epochLoss, (double)correct / targetTokens, tokens, clock.Elapsed, optimizer.LearningRate, validLoss, true);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (best.HasWeights) best.Restore();
        model.Eval();
        return new Seq2SeqTrainResult
        {
            EpochsRun = epochsRun, Steps = step, TrainSeconds = seconds, Tokens = tokens, FinalTrainLoss = epochLoss,
            ValidLoss = best.HasWeights ? -best.Accuracy : null, BestEpoch = bestEpoch, Filtered = data.Filtered,
            TimeBudgetReached = outOfTime,
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

    private double ValidationLoss(Seq2SeqData valid)
    {
        double loss = ValidationLoss(model, valid);
        model.Train();
        return loss;
    }

    private static double ValidationLoss(Seq2SeqModel model, Seq2SeqData valid)
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
                long n = Sum(tgtOut.Lengths);
                sum += Tensor.CrossEntropy(logits, new IntTensor(tgtOut.Ids, tgtOut.B, tgtOut.T), model.PadId).Item() * n;
                count += n;
            }
        return count == 0 ? 0 : sum / count;
    }

    // Linear warm-up, then linear decay to 5% of the peak over the planned steps or the time budget.
    private float LearningRate(int step, long totalSteps, double timeFraction)
    {
        float warm = options.WarmupSteps > 0 ? Math.Min(1f, (step + 1f) / options.WarmupSteps) : 1f;
        double progress = timeFraction >= 0 ? timeFraction : (double)step / Math.Max(1, totalSteps);
        float decay = (float)Math.Max(0.05, 1.0 - progress);
        return options.LearningRate * Math.Min(warm, decay);
    }

    private static long CountCorrect(Tensor logits, PaddedBatch target)
    {
        var values = logits.Contiguous().AsSpan();
        int v = logits.Dim(-1);
        long correct = 0;
        for (int b = 0; b < target.B; b++)
            for (int t = 0; t < target.Lengths[b]; t++)
            {
                int row = b * target.T + t;
                if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values.Slice(row * v, v)) == target.Ids[row]) correct++;
            }
        return correct;
    }

    private static long Sum(int[] values)
    {
        long s = 0;
        foreach (int x in values) s += x;
        return s;
    }

    private void Report(int epoch, int step, long totalSteps, double loss, double accuracy, long tokens, TimeSpan elapsed,
        double lr, double? validLoss, bool epochEnd)
    {
        if (Progress is null) return;
        double perStep = step > 0 ? elapsed.TotalSeconds / step : 0;
        double remaining = options.Minutes > 0 ? Math.Max(0, options.Minutes * 60 - elapsed.TotalSeconds) : perStep * (totalSteps - step);
        Progress.Report(new TrainProgress
        {
            Epoch = epoch + 1, Epochs = options.Epochs, Step = step, TotalSteps = (int)Math.Min(int.MaxValue, totalSteps),
            Loss = loss, Accuracy = accuracy, LearningRate = lr,
            TokensPerSecond = elapsed.TotalSeconds > 0 ? tokens / elapsed.TotalSeconds : 0,
            Elapsed = elapsed, Remaining = TimeSpan.FromSeconds(remaining),
            ValidationLoss = validLoss, EpochEnd = epochEnd,
        });
    }
}
