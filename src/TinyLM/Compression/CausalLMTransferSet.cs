using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.Compression;

/// <summary>
/// The transfer set of a language-model distillation: the training tokens cut into consecutive windows of the
/// student's context length, and (optionally) the teacher's next-token distribution at temperature T for every
/// position of every window, computed once. Each position keeps either the full distribution (small vocabularies,
/// e.g. characters) or the teacher's top-k tokens with their probabilities renormalised to sum to 1 (large
/// vocabularies, where V values per position would not fit in memory). Probabilities are stored as fp16.
/// </summary>
public sealed class CausalLMTransferSet
{
    /// <summary>Vocabularies up to this size keep the full distribution when no top-k is asked for.</summary>
    public const int FullDistributionMaxVocab = 256;

    /// <summary>Top-k used for larger vocabularies when none is asked for.</summary>
    public const int DefaultTopK = 32;

    private readonly int[] _tokens;      // the training ids; window w covers [w·T, w·T + T]
    private readonly Half[]? _probs;     // (windows, T, K)
    private readonly int[]? _ids;        // (windows, T, K) token ids of the kept probabilities; null with the full distribution

    private CausalLMTransferSet(int[] tokens, int context, int vocab, int windows, int k, float temperature, Half[]? probs, int[]? ids)
    {
        _tokens = tokens;
        Context = context;
        VocabSize = vocab;
        Windows = windows;
        K = k;
        Temperature = temperature;
        _probs = probs;
        _ids = ids;
    }

    /// <summary>Window length T (the student's context).</summary>
    public int Context { get; }
    /// <summary>Vocabulary size V of teacher and student.</summary>
    public int VocabSize { get; }
    /// <summary>Number of windows.</summary>
    public int Windows { get; }
    /// <summary>Teacher probabilities kept per position (V when full); 0 without teacher targets.</summary>
    public int K { get; }
    /// <summary>Temperature the teacher probabilities were computed at (NaN without teacher targets).</summary>
    public float Temperature { get; }
    /// <summary>True when the teacher's targets are cached.</summary>
    public bool HasTeacher => _probs is not null;
    /// <summary>True when each position keeps all V probabilities (no top-k truncation).</summary>
    public bool IsFull => K == VocabSize;
    /// <summary>Memory held by the cached targets (fp16 probabilities plus top-k ids).</summary>
    public long CacheBytes => (_probs?.LongLength ?? 0) * 2 + (_ids?.LongLength ?? 0) * 4;

    /// <summary>Windows of <paramref name="context"/> tokens (plus the next one for the targets) without teacher targets.</summary>
    public static CausalLMTransferSet HardOnly(int[] trainIds, int context, int vocabSize)
    {
        int windows = CountWindows(trainIds, context, vocabSize);
        return new CausalLMTransferSet(trainIds, context, vocabSize, windows, 0, float.NaN, null, null);
    }

    /// <summary>
    /// Runs <paramref name="teacher"/> once over every window of <paramref name="trainIds"/> (evaluation mode, no
    /// gradients, <paramref name="batchSize"/> windows at a time) and keeps its probabilities at
    /// <paramref name="temperature"/>: all of them when <paramref name="topK"/> is 0 or ≥ V and V ≤
    /// <see cref="FullDistributionMaxVocab"/> (or when topK ≥ V), else the top-k (ties go to the lower id), renormalised.
    /// </summary>
    public static CausalLMTransferSet Build(CausalLM teacher, int[] trainIds, int context, float temperature, int topK = 0, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        DistillationLoss.Validate(temperature, 0f);
        int v = teacher.Config.VocabSize;
        if (context > teacher.Config.ContextLength)
            throw new ArgumentException($"CausalLMTransferSet: windows of {context} tokens exceed the teacher's context length {teacher.Config.ContextLength}.");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), $"CausalLMTransferSet: top-k must be ≥ 0 (0 = automatic), got {topK}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"CausalLMTransferSet: batch size must be ≥ 1, got {batchSize}.");
        int windows = CountWindows(trainIds, context, v);
        int k = topK == 0 ? (v <= FullDistributionMaxVocab ? v : Math.Min(DefaultTopK, v)) : Math.Min(topK, v);
        long entries = (long)windows * context * k;
        if (entries > Array.MaxLength)
            throw new ArgumentException($"CausalLMTransferSet: {windows} windows × {context} positions × {k} probabilities do not fit in memory; lower --top-k or use less text.");
        var probs = new Half[entries];
        var ids = k == v ? null : new int[entries];

        bool wasTraining = teacher.Training;
        teacher.Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            var scaled = new float[v];
            var row = new float[v];
            var top = new int[k];
            for (int first = 0; first < windows; first += batchSize)
            {
                int b = Math.Min(batchSize, windows - first);
                var x = new int[b * context];
                for (int i = 0; i < b; i++) Array.Copy(trainIds, (long)(first + i) * context, x, i * context, context);
                using var scope = new TensorScope();
                var logits = teacher.Forward(new IntTensor(x, b, context)).ToArray(); // (b, T, V)
                for (int r = 0; r < b * context; r++)
                {
                    long at = ((long)first * context + r) * k;
                    TensorPrimitives.Divide(logits.AsSpan(r * v, v), temperature, scaled);
                    if (ids is null)
                    {
                        SoftmaxKernels.Softmax(scaled, row, 1, v);
                        for (int j = 0; j < v; j++) probs[at + j] = (Half)row[j];
                        continue;
                    }
                    TopK(scaled, top);
                    // Softmax over the kept logits = the full softmax restricted to them and renormalised.
                    float max = scaled[top[0]];
                    double sum = 0;
                    for (int j = 0; j < k; j++) sum += row[j] = MathF.Exp(scaled[top[j]] - max);
                    for (int j = 0; j < k; j++)
                    {
                        probs[at + j] = (Half)(float)(row[j] / sum);
                        ids[at + j] = top[j];
                    }
                }
            }
        }
        finally
        {
            teacher.Train(wasTraining);
        }
        return new CausalLMTransferSet(trainIds, context, v, windows, k, temperature, probs, ids);
    }

    /// <summary>Inputs (B, T) and next-token targets (B, T) of the windows <paramref name="windows"/>.</summary>
    public (IntTensor X, IntTensor Y) Batch(ReadOnlySpan<int> windows)
    {
        int t = Context, b = windows.Length;
        var x = new int[b * t];
        var y = new int[b * t];
        for (int i = 0; i < b; i++)
        {
            CheckWindow(windows[i]);
            long start = (long)windows[i] * t;
            Array.Copy(_tokens, start, x, i * t, t);
            Array.Copy(_tokens, start + 1, y, i * t, t);
        }
        return (new IntTensor(x, b, t), new IntTensor(y, b, t));
    }

    /// <summary>
    /// The cached teacher distributions of <paramref name="windows"/> as dense rows (B·T, V) in
    /// <paramref name="destination"/>: kept probabilities renormalised to sum to 1 in float32, zeros elsewhere.
    /// </summary>
    public void DenseTargets(ReadOnlySpan<int> windows, Span<float> destination)
    {
        if (_probs is null) throw new InvalidOperationException("CausalLMTransferSet: this transfer set holds no teacher targets.");
        int t = Context, v = VocabSize;
        if (destination.Length != windows.Length * t * v)
            throw new ArgumentException($"CausalLMTransferSet.DenseTargets: destination holds {destination.Length} values; {windows.Length} windows × {t} × {v} = {windows.Length * t * v} expected.");
        destination.Clear();
        for (int i = 0; i < windows.Length; i++)
        {
            CheckWindow(windows[i]);
            for (int p = 0; p < t; p++)
            {
                long at = ((long)windows[i] * t + p) * K;
                var row = destination.Slice((i * t + p) * v, v);
                float sum = 0;
                for (int j = 0; j < K; j++)
                {
                    float value = (float)_probs[at + j];
                    row[_ids is null ? j : _ids[at + j]] = value;
                    sum += value;
                }
                // fp16 rounding leaves the row a hair off 1; the KL gradient T·(q − p) assumes it sums to 1.
                if (sum > 0) TensorPrimitives.Multiply(row, 1f / sum, row);
            }
        }
    }

    private static int CountWindows(int[] trainIds, int context, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(trainIds);
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context), $"CausalLMTransferSet: context must be ≥ 1, got {context}.");
        int windows = (trainIds.Length - 1) / context;
        if (windows < 1)
            throw new ArgumentException($"CausalLMTransferSet: {trainIds.Length} training tokens are too few for one window of {context} (+1 target).");
        foreach (int id in trainIds)
            if ((uint)id >= (uint)vocabSize)
                throw new ArgumentException($"CausalLMTransferSet: token id {id} is outside the vocabulary [0, {vocabSize}).");
        return windows;
    }

    private void CheckWindow(int window)
    {
        if ((uint)window >= (uint)Windows)
            throw new ArgumentOutOfRangeException(nameof(window), $"CausalLMTransferSet: window {window} is outside [0, {Windows}).");
    }

    // The k largest values' indices, largest first; ties keep the lower index first.
    private static void TopK(ReadOnlySpan<float> values, Span<int> top)
    {
        int k = top.Length, count = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            if (count == k && !(value > values[top[k - 1]])) continue;
            int j = count < k ? count++ : k - 1;
            while (j > 0 && value > values[top[j - 1]])
            {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = i;
        }
    }
}
