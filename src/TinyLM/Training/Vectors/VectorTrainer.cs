using System.Numerics.Tensors;
using System.Text;

namespace TinyLM.Training.Vectors;

/// <summary>
/// Word vectors by skip-gram or CBOW with negative sampling (Mikolov et al. 2013), optionally with
/// character n-grams folded into each word's input vector (Bojanowski et al. 2017). Frequent words are
/// subsampled, negatives drawn from a unigram^0.75 table, the learning rate decays linearly to zero,
/// and threads update the shared matrices without locks (Hogwild).
/// </summary>
public sealed class VectorTrainer
{
    private const int TableSize = 10_000_000;
    private readonly VectorTrainOptions _o;
    private readonly string[] _words;
    private readonly long[] _counts;
    private readonly int[][] _subwords;      // per word: its own row first, then n-gram bucket rows
    private readonly int[] _corpus;          // every kept token's word id, lines one after another
    private readonly int[] _lineStarts;      // line k is _corpus[_lineStarts[k].._lineStarts[k+1]]
    private readonly float[] _keep;          // subsampling: probability of keeping each word
    private readonly int[] _table;
    private readonly float[] _input;
    private readonly float[] _output;

    public VectorTrainer(IEnumerable<string> lines, VectorTrainOptions options)
    {
        options.Validate();
        _o = options;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var tokenized = new List<string[]>();
        foreach (string line in lines)
        {
            string[] toks = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            tokenized.Add(toks);
            foreach (string t in toks) counts[t] = counts.GetValueOrDefault(t) + 1;
        }
        var vocab = counts.Where(kv => kv.Value >= options.MinCount)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        if (vocab.Length == 0)
            throw new ArgumentException($"no word occurs at least {options.MinCount} times (--min-count); nothing to train");
        _words = vocab.Select(kv => kv.Key).ToArray();
        _counts = vocab.Select(kv => kv.Value).ToArray();
        var index = new Dictionary<string, int>(_words.Length, StringComparer.Ordinal);
        for (int i = 0; i < _words.Length; i++) index[_words[i]] = i;

        var corpus = new List<int>();
        var starts = new List<int> { 0 };
        foreach (string[] toks in tokenized)
        {
            int before = corpus.Count;
            foreach (string t in toks) if (index.TryGetValue(t, out int id)) corpus.Add(id);
            if (corpus.Count - before >= 2) starts.Add(corpus.Count);
            else corpus.RemoveRange(before, corpus.Count - before);
        }
        _corpus = corpus.ToArray();
        _lineStarts = starts.ToArray();

        long total = _counts.Sum();
        _keep = new float[_words.Length];
        for (int i = 0; i < _words.Length; i++)
        {
            double f = (double)_counts[i] / total, r = options.Sample / f;
            _keep[i] = options.Sample <= 0 ? 1f : (float)Math.Min(1.0, Math.Sqrt(r) + r);
        }

        _table = BuildUnigramTable(_counts, Math.Max(TableSize / 100, Math.Min(TableSize, _counts.Length * 1000)));
        int buckets = options.MinN > 0 ? options.Buckets : 0;
        _subwords = new int[_words.Length][];
        for (int i = 0; i < _words.Length; i++)
            _subwords[i] = buckets > 0 ? Subwords(_words[i], i, _words.Length, options.MinN, options.MaxN, buckets) : [i];

        int dim = options.Dim;
        _input = new float[(long)(_words.Length + buckets) * dim];
        _output = new float[(long)_words.Length * dim];
        var rng = new XorShift(options.Seed);
        float scale = 1f / dim;
        for (long k = 0; k < _input.LongLength; k++) _input[k] = (rng.NextFloat() * 2f - 1f) * scale;
    }

    public int VocabularySize => _words.Length;
    public long TokensPerEpoch => _corpus.Length;

    /// <summary>Runs every epoch; <paramref name="progress"/> is called now and then from one worker thread.</summary>
    public WordVectors Train(Action<VectorProgress>? progress = null, CancellationToken cancel = default)
    {
        long totalWords = (long)_corpus.Length * _o.Epochs;
        long done = 0;
        double lossSum = 0; long lossCount = 0;
        object lossLock = new();
        int lines = _lineStarts.Length - 1;
        int threads = Math.Max(1, Math.Min(_o.Threads, lines));
        var workers = new Thread[threads];
        Exception? failure = null;
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            int from = (int)((long)lines * id / threads), to = (int)((long)lines * (id + 1) / threads);
            workers[t] = new Thread(() =>
            {
                try
                {
                    var rng = new XorShift(_o.Seed * 0x9E3779B97F4A7C15UL + (ulong)id + 1);
                    var hidden = new float[_o.Dim];
                    var grad = new float[_o.Dim];
                    var negs = new int[_o.Negatives];
                    var kept = new List<int>(256);
                    long local = 0; double lLoss = 0; long lCount = 0;
                    for (int epoch = 0; epoch < _o.Epochs && !cancel.IsCancellationRequested; epoch++)
                    {
                        for (int line = from; line < to; line++)
                        {
                            int s = _lineStarts[line], e = _lineStarts[line + 1];
                            local += e - s;
                            if (local >= 10_000)
                            {
                                long now = Interlocked.Add(ref done, local);
                                local = 0;
                                lock (lossLock) { lossSum += lLoss; lossCount += lCount; }
                                lLoss = 0; lCount = 0;
                                if (id == 0 && progress is not null)
                                {
                                    double avg; lock (lossLock) avg = lossCount == 0 ? 0 : lossSum / lossCount;
                                    progress(new VectorProgress(now, totalWords, Rate(now, totalWords), avg));
                                }
                                if (cancel.IsCancellationRequested) break;
                            }
                            float lr = Rate(Interlocked.Read(ref done), totalWords);
                            kept.Clear();
                            for (int k = s; k < e; k++)
                            {
                                int w = _corpus[k];
                                if (_keep[w] >= 1f || rng.NextFloat() < _keep[w]) kept.Add(w);
                            }
                            lLoss += _o.Model == VectorModel.SkipGram
                                ? SkipGramLine(kept, lr, rng, hidden, grad, negs, ref lCount)
                                : CbowLine(kept, lr, rng, hidden, grad, negs, ref lCount);
                        }
                    }
                    Interlocked.Add(ref done, local);
                    lock (lossLock) { lossSum += lLoss; lossCount += lCount; }
                }
                catch (Exception ex) { failure ??= ex; }
            }) { IsBackground = true, Name = $"vectors-{id}" };
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
        if (failure is not null) throw new InvalidOperationException("vector training failed", failure);
        cancel.ThrowIfCancellationRequested();
        progress?.Invoke(new VectorProgress(totalWords, totalWords, 0f, lossCount == 0 ? 0 : lossSum / lossCount));
        return Vectors();
    }

    /// <summary>Each word's vector: the mean of its own row and its n-gram rows.</summary>
    public WordVectors Vectors()
    {
        int dim = _o.Dim;
        var values = new float[_words.Length * dim];
        for (int i = 0; i < _words.Length; i++)
            Compose(_subwords[i], values.AsSpan(i * dim, dim));
        return new WordVectors(_words, dim, values);
    }

    private float Rate(long done, long total) => _o.LearningRate * Math.Max(1e-4f, 1f - (float)done / total);

    private void Compose(int[] rows, Span<float> dest)
    {
        int dim = _o.Dim;
        dest.Clear();
        foreach (int r in rows) TensorPrimitives.Add(dest, _input.AsSpan(r * dim, dim), dest);
        if (rows.Length > 1) TensorPrimitives.Multiply(dest, 1f / rows.Length, dest);
    }

    private double SkipGramLine(List<int> line, float lr, XorShift rng, float[] hidden, float[] grad, int[] negs, ref long count)
    {
        double loss = 0;
        int dim = _o.Dim;
        for (int i = 0; i < line.Count; i++)
        {
            int[] rows = _subwords[line[i]];
            int b = 1 + (int)(rng.Next() % (uint)_o.Window);
            for (int c = Math.Max(0, i - b); c <= Math.Min(line.Count - 1, i + b); c++)
            {
                if (c == i) continue;
                Compose(rows, hidden);
                Array.Clear(grad);
                DrawNegatives(line[c], rng, negs);
                loss += NegativeSampling(hidden, _output, dim, line[c], negs, lr, grad);
                count++;
                foreach (int r in rows) TensorPrimitives.MultiplyAdd(grad, -lr, _input.AsSpan(r * dim, dim), _input.AsSpan(r * dim, dim));
            }
        }
        return loss;
    }

    private double CbowLine(List<int> line, float lr, XorShift rng, float[] hidden, float[] grad, int[] negs, ref long count)
    {
        double loss = 0;
        int dim = _o.Dim;
        for (int i = 0; i < line.Count; i++)
        {
            int b = 1 + (int)(rng.Next() % (uint)_o.Window);
            int lo = Math.Max(0, i - b), hi = Math.Min(line.Count - 1, i + b);
            Array.Clear(hidden);
            int n = 0;
            for (int c = lo; c <= hi; c++)
            {
                if (c == i) continue;
                foreach (int r in _subwords[line[c]]) { TensorPrimitives.Add(hidden, _input.AsSpan(r * dim, dim), hidden); n++; }
            }
            if (n == 0) continue;
            TensorPrimitives.Multiply(hidden, 1f / n, hidden);
            Array.Clear(grad);
            DrawNegatives(line[i], rng, negs);
            loss += NegativeSampling(hidden, _output, dim, line[i], negs, lr, grad);
            count++;
            for (int c = lo; c <= hi; c++)
            {
                if (c == i) continue;
                foreach (int r in _subwords[line[c]]) TensorPrimitives.MultiplyAdd(grad, -lr, _input.AsSpan(r * dim, dim), _input.AsSpan(r * dim, dim));
            }
        }
        return loss;
    }

    private void DrawNegatives(int target, XorShift rng, int[] negs)
    {
        for (int k = 0; k < negs.Length; k++)
        {
            int w;
            do w = _table[rng.Next() % (uint)_table.Length]; while (w == target && _counts.Length > 1);
            negs[k] = w;
        }
    }

    /// <summary>
    /// One negative-sampling step for input vector <paramref name="hidden"/>: loss
    /// L = -log σ(u_t·h) - Σ_n log σ(-u_n·h). Adds dL/dh to <paramref name="gradHidden"/> (computed with the
    /// output rows as they were before this step) and moves each output row u by -lr·dL/du. Returns L.
    /// </summary>
    public static double NegativeSampling(ReadOnlySpan<float> hidden, float[] output, int dim, int target,
        ReadOnlySpan<int> negatives, float lr, Span<float> gradHidden)
    {
        double loss = 0;
        for (int k = -1; k < negatives.Length; k++)
        {
            int row = k < 0 ? target : negatives[k];
            float label = k < 0 ? 1f : 0f;
            Span<float> u = output.AsSpan(row * dim, dim);
            float x = TensorPrimitives.Dot(hidden, u);
            float sig = Sigmoid(x);
            loss += k < 0 ? SoftPlus(-x) : SoftPlus(x);
            float g = sig - label;                                  // dL/dx
            TensorPrimitives.MultiplyAdd(u, g, gradHidden, gradHidden);
            if (lr != 0f) TensorPrimitives.MultiplyAdd(hidden, -lr * g, u, u);
        }
        return loss;
    }

    private static float Sigmoid(float x) => x >= 0 ? 1f / (1f + MathF.Exp(-x)) : MathF.Exp(x) / (1f + MathF.Exp(x));
    private static double SoftPlus(float x) => x > 20 ? x : Math.Log(1 + Math.Exp(x));

    private static int[] BuildUnigramTable(long[] counts, int size)
    {
        double z = 0;
        foreach (long c in counts) z += Math.Pow(c, 0.75);
        var table = new int[size];
        int w = 0;
        double cum = Math.Pow(counts[0], 0.75) / z;
        for (int k = 0; k < size; k++)
        {
            table[k] = w;
            if ((k + 1.0) / size > cum && w < counts.Length - 1) { w++; cum += Math.Pow(counts[w], 0.75) / z; }
        }
        return table;
    }

    /// <summary>The word's own row, then the bucket rows of the character n-grams of "&lt;word&gt;" (the whole bracketed word excluded).</summary>
    public static int[] Subwords(string word, int id, int vocab, int minN, int maxN, int buckets)
    {
        string s = "<" + word + ">";
        var rows = new List<int> { id };
        var runes = s.EnumerateRunes().ToArray();
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < runes.Length; i++)
            for (int n = minN; n <= maxN && i + n <= runes.Length; n++)
            {
                if (i == 0 && n == runes.Length) continue;
                uint h = 2166136261;
                for (int k = i; k < i + n; k++)
                {
                    int len = runes[k].EncodeToUtf8(utf8);
                    for (int q = 0; q < len; q++) { h ^= utf8[q]; h *= 16777619; }
                }
                rows.Add(vocab + (int)(h % (uint)buckets));
            }
        return rows.ToArray();
    }

    private sealed class XorShift(ulong seed)
    {
        private ulong _s = seed == 0 ? 0x2545F4914F6CDD1DUL : seed;
        public uint Next() { _s ^= _s << 13; _s ^= _s >> 7; _s ^= _s << 17; return (uint)(_s >> 32); }
        public float NextFloat() => (Next() >> 8) * (1f / (1 << 24));
    }
}
