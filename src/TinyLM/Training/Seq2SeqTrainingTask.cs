using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Training;

/// <summary>
/// Translation as a task of the one <see cref="Trainer{TBatch}"/>: an epoch is a round of token-budget batches bucketed
/// by length (pair indices), the loss is teacher-forced label-smoothed cross-entropy ignoring padding, the score is the
/// negated validation loss (no smoothing).
/// </summary>
internal sealed class Seq2SeqTrainingTask(Seq2SeqModel model, TrainOptions options, Seq2SeqData data, Seq2SeqData? valid,
    IProgress<TrainProgress>? progress) : ITrainingTask<int[]>
{
    private readonly int[] _pairLengths = data.PairLengths();
    private Tensor? _logits;
    private PaddedBatch? _source, _target;
    private double _lossSum;
    private long _targetTokens, _correct;
    private int _epoch;

    public string Name => nameof(Seq2SeqTrainer);
    public int Rounds => options.Epochs;
    public long TotalSteps => (long)StepsPerEpoch * options.Epochs;
    public int MicroBatches => 1;
    public long Tokens { get; private set; }
    public double EpochLoss { get; private set; }

    // Every epoch's shuffle packs the same pairs into the same number of batches.
    private int StepsPerEpoch => field > 0 ? field : field = TokenBatching.ByTokens(_pairLengths, options.Seq2Seq.BatchTokens, options.Seed).Count;

    public IReadOnlyList<int[]> BeginRound(int round)
    {
        _epoch = round;
        _lossSum = 0;
        _targetTokens = _correct = 0;
        return TokenBatching.ByTokens(_pairLengths, options.Seq2Seq.BatchTokens, options.Seed + (ulong)round * 7919UL);
    }

    public void BeginStep(int[] batch, long step) { }

    public Tensor Loss(int[] batch, int micro)
    {
        var (src, tgtIn, tgtOut) = data.Batch(model, batch);
        (_source, _target) = (src, tgtOut);
        _logits = model.Logits(src, tgtIn);                                       // (B, T, V)
        return Tensor.CrossEntropy(_logits, new IntTensor(tgtOut.Ids, tgtOut.B, tgtOut.T), model.PadId, options.LabelSmoothing);
    }

    public void Observe(int[] batch, int micro, float loss)
    {
        long n = Sum(_target!.Lengths);
        _lossSum += loss * n;
        _targetTokens += n;
        _correct += CountCorrect(_logits!, _target);
        Tokens += n + Sum(_source!.Lengths);
    }

    public void EndStep(int[] batch, long steps, float learningRate, TrainerClock clock) =>
        Report(steps, _lossSum / Math.Max(1, _targetTokens), (double)_correct / Math.Max(1, _targetTokens), clock, learningRate, null, false);

    public double? EndRound(int round, long steps, float learningRate, TrainerClock clock)
    {
        EpochLoss = _lossSum / _targetTokens;
        double? validLoss = null;
        if (valid is not null)
        {
            validLoss = Seq2SeqTrainer.ValidationLoss(model, valid);
            model.Train();
        }
        Report(steps, EpochLoss, (double)_correct / _targetTokens, clock, learningRate, validLoss, true);
        return -validLoss;
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

    internal static long Sum(int[] values)
    {
        long s = 0;
        foreach (int x in values) s += x;
        return s;
    }

    private void Report(long steps, double loss, double accuracy, TrainerClock clock, double lr, double? validLoss, bool epochEnd)
    {
        if (progress is null) return;
        var elapsed = clock.Elapsed;
        double remaining = options.Minutes > 0 ? Math.Max(0, options.Minutes * 60 - elapsed.TotalSeconds) : clock.Remaining(steps).TotalSeconds;
        progress.Report(new TrainProgress
        {
            Epoch = _epoch + 1, Epochs = options.Epochs, Step = (int)steps, TotalSteps = (int)Math.Min(int.MaxValue, TotalSteps),
            Loss = loss, Accuracy = accuracy, LearningRate = lr,
            TokensPerSecond = elapsed.TotalSeconds > 0 ? Tokens / elapsed.TotalSeconds : 0,
            Elapsed = elapsed, Remaining = TimeSpan.FromSeconds(remaining),
            ValidationLoss = validLoss, Milestone = epochEnd, StepsPerEpoch = StepsPerEpoch, BudgetSeconds = options.Minutes * 60,
        });
    }
}
