using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// The training loop for text classifiers: length-bucketed shuffled batches, cross-entropy (or binary
/// cross-entropy for multi-label), gradient clipping, a learning-rate schedule, validation after every
/// epoch, early stopping that restores the best weights, checkpoints every N steps, and optionally an exponential
/// moving average of the weights that is what gets validated and kept.
/// Same seed and data → the same weights, bit for bit, at any thread count.
/// </summary>
public sealed class ClassifierTrainer(TextClassifier model, TrainOptions options)
{
    /// <summary>Called after every step and at each epoch's end.</summary>
    public IProgress<TrainProgress>? Progress { get; init; }

    /// <summary>Called every <see cref="TrainOptions.CheckpointEvery"/> steps with the state to save.</summary>
    public Action<TrainCheckpoint>? Checkpoint { get; init; }

    /// <summary>Called after every optimizer step with the step's index (e.g. pruning re-applies its masks here).</summary>
    public Action<int>? AfterStep { get; init; }

    /// <summary>A checkpoint to continue from (same model shape, options and data).</summary>
    public TrainCheckpoint? ResumeFrom { get; init; }

    /// <summary>
    /// Replaces the loss of training steps (validation keeps the plain one): (logits (B, C), indices of the batch's
    /// examples in the training set) → scalar loss. Distillation uses it to add the teacher's soft targets.
    /// </summary>
    public Func<Tensor, int[], Tensor>? TrainingLoss { get; init; }

    public TrainResult Fit(TextDataset train, TextDataset? validation = null, CancellationToken cancel = default)
    {
        if (!model.HasNetwork) return FitHeadsOnly(train);
        bool trainable = model.Embedding.Weight.RequiresGrad;
        try
        {
            return FitCore(train, validation, cancel);
        }
        finally
        {
            model.Embedding.Weight.RequiresGrad = trainable;
        }
    }

    private TrainResult FitCore(TextDataset train, TextDataset? validation, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException($"{train.Source}: no training examples.");

        var clock = Stopwatch.StartNew();
        if (options.WarmStartEpochs > 0 && model.Config.Encoder != EncoderKind.Bag && ResumeFrom is null)
            EmbeddingWarmStart.Apply(model, train, options.WarmStartEpochs, options.Seed);

        var ids = model.Inputs.EncodeAll(train.Examples.Select(e => e.Text).ToArray());
        var targets = TargetsOf(train);
        var lengths = Array.ConvertAll(ids, s => s.Length);
        int stepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        int totalSteps = stepsPerEpoch * options.Epochs;

        if (ResumeFrom is null) model.Mixture.FitHeads(ids, targets.Single, options.Seed);

        // A frozen table gets no gradient, so the optimizer, clipping and the average skip it.
        if (options.FreezeEmbeddings) model.Embedding.Weight.RequiresGrad = false;
        var parameters = model.Parameters().ToArray();
        var sparse = options.SparseEmbeddingUpdates ? new ClassifierSparseAdam(model, options) : null;
        var optimizer = sparse ?? Optimizers.Create(options, model);
        var schedule = Optimizers.CreateSchedule(options, totalSteps);
        var average = options.AverageDecay > 0 ? new WeightAverage(parameters, options.AverageDecay) : null;

        int startEpoch = 0, step = 0, skipInEpoch = 0;
        if (ResumeFrom is { } resume)
        {
            resume.RestoreInto(model, optimizer);
            if (average is not null) resume.RestoreAverage(model, average);
            step = resume.Step;
            startEpoch = step / stepsPerEpoch;
            skipInEpoch = step % stepsPerEpoch;
        }

        var best = new BestWeights(parameters);
        int epochsWithoutImprovement = 0, bestEpoch = 0, epochsRun = 0;
        double epochLoss = 0;
        bool stoppedEarly = false;
        long tokens = 0;
        model.Train();

        for (int epoch = startEpoch; epoch < options.Epochs && !stoppedEarly; epoch++)
        {
            // The order depends on the seed and the epoch only, so a resumed run replays it exactly.
            var batches = Batching.LengthBucketed(lengths, options.BatchSize, options.Seed + (ulong)epoch * 7919UL);
            double lossSum = 0;
            int seen = 0, correct = 0;
            for (int bi = skipInEpoch; bi < batches.Count; bi++)
            {
                cancel.ThrowIfCancellationRequested();
                var indices = batches[bi];
                model.ReseedForStep(options.Seed, step);
                float lr = schedule.LearningRate(step);
                optimizer.LearningRate = lr;
                using (var scope = new TensorScope())
                {
                    var batch = Batching.Pad(ids, indices);
                    sparse?.SetRows(batch, model.Embedding.PaddingIndex);
                    var logits = model.Forward(batch);                        // (B, C)
                    var loss = TrainingLoss?.Invoke(logits, indices) ?? Loss(logits, indices, targets); // ()
                    float lossValue = loss.Item();
                    if (!float.IsFinite(lossValue))
                        throw new InvalidOperationException($"ClassifierTrainer: loss became {lossValue} at step {step} (epoch {epoch + 1}); lower the learning rate.");
                    loss.Backward();
                    if (options.ClipNorm > 0)
                    {
                        if (sparse is null) GradClip.ClipGlobalNorm(parameters, options.ClipNorm);
                        else sparse.ClipGlobalNorm(options.ClipNorm);
                    }
                    optimizer.Step();
                    AfterStep?.Invoke(step);
                    average?.Update();
                    if (sparse is null) model.ZeroGrad();
                    else sparse.ZeroGradients();
                    lossSum += lossValue * indices.Length;
                    correct += CountCorrect(logits, indices, targets);
                    foreach (int i in indices) tokens += lengths[i];
                }
                seen += indices.Length;
                step++;
                if (options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0)
                    Checkpoint?.Invoke(TrainCheckpoint.Capture(model, optimizer, step, average));
                Report(epoch, step, totalSteps, lossSum / seen, (double)correct / seen, tokens, clock.Elapsed, lr, null, null, false);
            }
            skipInEpoch = 0;
            epochsRun++;
            epochLoss = seen > 0 ? lossSum / seen : epochLoss;

            double? validAccuracy = null, validLoss = null;
            if (validation is { Count: > 0 })
            {
                // With averaging, the average is what is validated and what the best weights keep.
                double bestBefore = best.Accuracy;
                (validAccuracy, validLoss) = average is null
                    ? ValidateAndKeepBest(validation, best)
                    : average.WithAverage(() => ValidateAndKeepBest(validation, best));
                if (best.Accuracy > bestBefore)
                {
                    bestEpoch = epoch + 1;
                    epochsWithoutImprovement = 0;
                }
                else if (options.Patience > 0 && ++epochsWithoutImprovement >= options.Patience)
                {
                    stoppedEarly = true;
                }
            }
            Report(epoch, step, totalSteps, epochLoss, seen > 0 ? (double)correct / seen : 0, tokens, clock.Elapsed,
                schedule.LearningRate(Math.Max(0, step - 1)), validAccuracy, validLoss, true);
        }

        if (options.RestoreBestWeights && best.HasWeights) best.Restore();
        else average?.CopyToParameters();
        return new TrainResult
        {
            EpochsRun = epochsRun,
            Steps = step,
            BestEpoch = bestEpoch,
            BestValidationAccuracy = best.HasWeights ? best.Accuracy : null,
            FinalTrainLoss = epochLoss,
            TrainSeconds = clock.Elapsed.TotalSeconds,
            Tokens = tokens,
            StoppedEarly = stoppedEarly,
        };
    }

    // An SVM-only model has no network to train: fitting it is fitting its heads, in no epochs.
    private TrainResult FitHeadsOnly(TextDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException($"{train.Source}: no training examples.");
        if (ResumeFrom is not null) throw new ArgumentException("ClassifierTrainer: an SVM-only model has no training steps to resume.");
        var clock = Stopwatch.StartNew();
        var ids = model.Inputs.EncodeAll(train.Examples.Select(e => e.Text).ToArray());
        model.Mixture.FitHeads(ids, TargetsOf(train).Single, options.Seed);
        return new TrainResult { TrainSeconds = clock.Elapsed.TotalSeconds };
    }

    private (double Accuracy, double Loss) ValidateAndKeepBest(TextDataset validation, BestWeights best)
    {
        var scores = Validate(validation);
        if (scores.Accuracy > best.Accuracy) best.Capture(scores.Accuracy);
        return scores;
    }

    private (double Accuracy, double Loss) Validate(TextDataset validation)
    {
        var texts = validation.Examples.Select(e => e.Text).ToArray();
        var ids = model.Inputs.EncodeAll(texts);
        var targets = TargetsOf(validation);
        double lossSum = 0;
        int correct = 0;
        model.Eval();
        using (Tensor.NoGrad())
        {
            foreach (var indices in Batching.Sequential(texts.Length, 64))
            {
                using var scope = new TensorScope();
                var logits = model.Mixture.Logits(Batching.Pad(ids, indices)); // (B, C), what predictions use
                lossSum += Loss(logits, indices, targets).Item() * indices.Length;
                correct += CountCorrect(logits, indices, targets);
            }
        }
        model.Train();
        return ((double)correct / texts.Length, lossSum / texts.Length);
    }

    // Single-label: the label index per example. Multi-label: a 0/1 row per example.
    private Targets TargetsOf(TextDataset data)
    {
        var first = ClassifierEvaluation.TrueLabels(model.Labels, data);
        if (!model.Config.MultiLabel) return new Targets(first, null);
        int c = model.Labels.Count;
        var multi = new float[data.Count * c];
        for (int i = 0; i < data.Count; i++)
            foreach (var label in data.Examples[i].Labels)
                if (model.Labels.TryGetIndex(label, out int k)) multi[i * c + k] = 1f;
        return new Targets(first, multi);
    }

    private Tensor Loss(Tensor logits, int[] indices, Targets targets)
    {
        if (targets.Multi is null)
        {
            var y = new int[indices.Length];
            for (int i = 0; i < y.Length; i++) y[i] = targets.Single[indices[i]];
            return Tensor.CrossEntropy(logits, new IntTensor(y, y.Length), labelSmoothing: options.LabelSmoothing);
        }
        int c = model.Labels.Count;
        var rows = new float[indices.Length * c];
        for (int i = 0; i < indices.Length; i++) targets.Multi.AsSpan(indices[i] * c, c).CopyTo(rows.AsSpan(i * c));
        return Tensor.BinaryCrossEntropyWithLogits(logits, Tensor.FromArray(rows, indices.Length, c));
    }

    private static int CountCorrect(Tensor logits, int[] indices, Targets targets)
    {
        var values = logits.Contiguous().AsSpan();
        int c = logits.Dim(1), correct = 0;
        for (int i = 0; i < indices.Length; i++)
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values.Slice(i * c, c)) == targets.Single[indices[i]]) correct++;
        return correct;
    }

    private void Report(int epoch, int step, int totalSteps, double loss, double accuracy, long tokens, TimeSpan elapsed,
        double lr, double? validAccuracy, double? validLoss, bool epochEnd)
    {
        if (Progress is null) return;
        double perStep = step > 0 ? elapsed.TotalSeconds / step : 0;
        Progress.Report(new TrainProgress
        {
            Epoch = epoch + 1, Epochs = options.Epochs, Step = step, TotalSteps = totalSteps,
            Loss = loss, Accuracy = accuracy, LearningRate = lr,
            TokensPerSecond = elapsed.TotalSeconds > 0 ? tokens / elapsed.TotalSeconds : 0,
            Elapsed = elapsed, Remaining = TimeSpan.FromSeconds(perStep * (totalSteps - step)),
            ValidationAccuracy = validAccuracy, ValidationLoss = validLoss, EpochEnd = epochEnd,
        });
    }

    private sealed record Targets(int[] Single, float[]? Multi);
}
