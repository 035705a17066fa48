using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Image classification as a task of the one <see cref="Trainer{TBatch}"/> loop: an epoch is a round of shuffled
/// batches (image indices), the loss is cross-entropy. At each epoch's end the evaluation set, when given, is scored
/// and reported; the score is not returned, so no weights are chosen on it (and the batch-norm running statistics,
/// which are not parameters, always belong to the weights kept).
/// </summary>
internal sealed class ImageTrainingTask(ImageClassifier model, TrainOptions options, ImageDataset train, ImageDataset? evaluation,
    IProgress<TrainProgress>? progress) : ITrainingTask<int[]>
{
    private Tensor? _logits;
    private int[] _targets = [];
    private double _lossSum;
    private int _seen, _correct, _epoch;
    private long _images;

    public string Name => nameof(ImageClassifierTrainer);
    public int Rounds => options.Epochs;
    public long TotalSteps => (long)StepsPerEpoch * options.Epochs;
    public int MicroBatches => 1;
    public double EpochLoss { get; private set; }
    public double EpochAccuracy { get; private set; }
    public long Images => _images;
    public double? LastEvaluation { get; private set; }

    private int StepsPerEpoch => (train.Count + options.BatchSize - 1) / options.BatchSize;

    public IReadOnlyList<int[]> BeginRound(int round)
    {
        _epoch = round;
        _lossSum = 0;
        _seen = _correct = 0;
        // The order depends on the seed and the epoch only, so a resumed run replays it exactly.
        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new SplitMix64(options.Seed + (ulong)round * 7919UL).Shuffle(order.AsSpan());
        var batches = new List<int[]>(StepsPerEpoch);
        for (int start = 0; start < order.Length; start += options.BatchSize)
            batches.Add(order[start..Math.Min(order.Length, start + options.BatchSize)]);
        return batches;
    }

    public void BeginStep(int[] batch, long step) { }

    public Tensor Loss(int[] batch, int micro)
    {
        _targets = new int[batch.Length];
        for (int i = 0; i < batch.Length; i++) _targets[i] = train.Labels[batch[i]];
        _logits = model.Forward(model.Batch(train, batch));                                        // (B, classes)
        return Tensor.CrossEntropy(_logits, new IntTensor(_targets), labelSmoothing: options.LabelSmoothing); // ()
    }

    public void Observe(int[] batch, int micro, float loss)
    {
        _lossSum += loss * batch.Length;
        var logits = _logits!.AsSpan();
        int classes = model.Config.Classes;
        for (int i = 0; i < batch.Length; i++)
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(i * classes, classes)) == _targets[i]) _correct++;
        _seen += batch.Length;
        _images += batch.Length;
    }

    public void EndStep(int[] batch, long steps, float learningRate, TrainerClock clock) =>
        Report(steps, clock, learningRate, null, false);

    public double? EndRound(int round, long steps, float learningRate, TrainerClock clock)
    {
        EpochLoss = _seen > 0 ? _lossSum / _seen : EpochLoss;
        EpochAccuracy = _seen > 0 ? (double)_correct / _seen : EpochAccuracy;
        if (evaluation is { Count: > 0 }) LastEvaluation = model.Accuracy(evaluation);
        Report(steps, clock, learningRate, LastEvaluation, true);
        return null;
    }

    private void Report(long steps, TrainerClock clock, double lr, double? evalAccuracy, bool epochEnd)
    {
        if (progress is null) return;
        var elapsed = clock.Elapsed;
        progress.Report(new TrainProgress
        {
            Epoch = _epoch + 1, Epochs = options.Epochs, Step = (int)steps, TotalSteps = (int)TotalSteps,
            Loss = _seen > 0 ? _lossSum / _seen : 0, Accuracy = _seen > 0 ? (double)_correct / _seen : 0, LearningRate = lr,
            TokensPerSecond = elapsed.TotalSeconds > 0 ? _images / elapsed.TotalSeconds : 0,
            ThroughputUnit = "img",
            Elapsed = elapsed, Remaining = clock.Remaining(steps),
            ValidationAccuracy = evalAccuracy, Milestone = epochEnd,
        });
    }
}
