using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Text classification as a task of the one <see cref="Trainer{TBatch}"/>: an epoch is a round of length-bucketed
/// shuffled batches (example indices), the loss is cross-entropy (or binary cross-entropy for multi-label, or the
/// caller's, e.g. distillation), validation accuracy is the score.
/// </summary>
internal sealed class ClassifierTrainingTask(TextClassifier model, TrainOptions options, TextDataset train, TextDataset? validation,
    Optimizer? sparseRows, Func<Tensor, int[], Tensor>? trainingLoss, IProgress<TrainProgress>? progress) : ITrainingTask<int[]>
{
    private readonly int[][] _ids = model.Inputs.EncodeAll(train.Examples.Select(e => e.Text).ToArray());
    private readonly ClassifierTargets _targets = ClassifierTargets.Of(model, train);
    // The validation texts, encoded once for every epoch's evaluation.
    private (int[][] Ids, ClassifierTargets Targets)? _validation;
    private int[] _lengths = [];
    private Tensor? _logits;
    private double _lossSum, _epochLoss;
    private int _seen, _correct, _epoch;

    public string Name => nameof(ClassifierTrainer);
    public int Rounds => options.Epochs;
    public long TotalSteps => (long)StepsPerEpoch * options.Epochs;
    public int MicroBatches => 1;
    public long Tokens { get; private set; }
    public double EpochLoss => _epochLoss;
    public int[][] Ids => _ids;
    public int[] SingleTargets => _targets.Single;

    private int StepsPerEpoch => (train.Count + options.BatchSize - 1) / options.BatchSize;

    public IReadOnlyList<int[]> BeginRound(int round)
    {
        if (_lengths.Length == 0) _lengths = Array.ConvertAll(_ids, s => s.Length);
        _epoch = round;
        _lossSum = 0;
        _seen = _correct = 0;
        // The order depends on the seed and the epoch only, so a resumed run replays it exactly.
        return Batching.LengthBucketed(_lengths, options.BatchSize, options.Seed + (ulong)round * 7919UL);
    }

    public void BeginStep(int[] batch, long step) { }

    public Tensor Loss(int[] batch, int micro)
    {
        var padded = Batching.Pad(_ids, batch);
        sparseRows?.SetRows(LookedUpRows(padded, model.Embedding.PaddingIndex));
        _logits = model.Forward(padded);                                        // (B, C)
        return trainingLoss?.Invoke(_logits, batch) ?? _targets.Loss(_logits, batch, options.LabelSmoothing); // ()
    }

    public void Observe(int[] batch, int micro, float loss)
    {
        _lossSum += loss * batch.Length;
        _correct += _targets.CountCorrect(_logits!, batch);
        foreach (int i in batch) Tokens += _lengths[i];
        _seen += batch.Length;
    }

    public void EndStep(int[] batch, long steps, float learningRate, TrainerClock clock) =>
        Report(steps, _lossSum / _seen, (double)_correct / _seen, clock, learningRate, null, null, false);

    public double? EndRound(int round, long steps, float learningRate, TrainerClock clock)
    {
        _epochLoss = _seen > 0 ? _lossSum / _seen : _epochLoss;
        double? accuracy = null, loss = null, modelTrainAccuracy = null;
        if (validation is { Count: > 0 })
        {
            var (ids, targets) = _validation ??= (model.Inputs.EncodeAll(validation.Examples.Select(e => e.Text).ToArray()), ClassifierTargets.Of(model, validation));
            (accuracy, loss) = Validate(ids, targets);
        }
        // Without validation data, a mixture's epoch line would only show the network's running accuracy, which is not the
        // model that gets saved: score the whole mixture on the training texts too (shown, never used to choose weights).
        else if (model.Mixture.HasHeads && progress is not null) modelTrainAccuracy = Validate(_ids, _targets).Accuracy;
        Report(steps, _epochLoss, _seen > 0 ? (double)_correct / _seen : 0, clock, learningRate, accuracy, loss, true, modelTrainAccuracy);
        return accuracy;
    }

    // The distinct non-padding ids of the batch, ascending: the embedding rows a lazy update touches.
    private static int[] LookedUpRows(PaddedBatch batch, int paddingIndex)
    {
        var seen = new HashSet<int>();
        for (int b = 0; b < batch.B; b++)
            for (int t = 0; t < batch.Lengths[b]; t++)
            {
                int id = batch.Ids[b * batch.T + t];
                if (id != paddingIndex) seen.Add(id);
            }
        int[] rows = [.. seen];
        Array.Sort(rows);
        return rows;
    }

    /// <summary>Accuracy and loss of the saved model (the mixture) on encoded texts.</summary>
    private (double Accuracy, double Loss) Validate(int[][] ids, ClassifierTargets targets)
    {
        double lossSum = 0;
        int correct = 0;
        model.Eval();
        using (Tensor.NoGrad())
        {
            foreach (var indices in Batching.Sequential(ids.Length, 64))
            {
                using var scope = new TensorScope();
                var logits = model.Mixture.Logits(Batching.Pad(ids, indices)); // (B, C), what predictions use
                lossSum += targets.Loss(logits, indices, options.LabelSmoothing).Item() * indices.Length;
                correct += targets.CountCorrect(logits, indices);
            }
        }
        model.Train();
        return ((double)correct / ids.Length, lossSum / ids.Length);
    }

    private void Report(long steps, double loss, double accuracy, TrainerClock clock, double lr, double? validAccuracy, double? validLoss, bool epochEnd,
        double? modelTrainAccuracy = null)
    {
        if (progress is null) return;
        var elapsed = clock.Elapsed;
        progress.Report(new TrainProgress
        {
            Epoch = _epoch + 1, Epochs = options.Epochs, Step = (int)steps, TotalSteps = (int)TotalSteps,
            Loss = loss, Accuracy = accuracy, LearningRate = lr,
            TokensPerSecond = elapsed.TotalSeconds > 0 ? Tokens / elapsed.TotalSeconds : 0,
            Elapsed = elapsed, Remaining = clock.Remaining(steps),
            ValidationAccuracy = validAccuracy, ValidationLoss = validLoss, Milestone = epochEnd, StepsPerEpoch = StepsPerEpoch,
            ModelTrainAccuracy = modelTrainAccuracy,
        });
    }
}
