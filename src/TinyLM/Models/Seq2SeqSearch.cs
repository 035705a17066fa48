using System.Numerics.Tensors;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>How <see cref="Seq2SeqSearch"/> decodes.</summary>
public sealed record SearchOptions
{
    /// <summary>Beam width; 1 is greedy decoding.</summary>
    public int Beam { get; init; } = 1;
    /// <summary>GNMT length penalty exponent α: hypotheses are ranked by log p / ((5 + |y|) / 6)^α.</summary>
    public float LengthPenalty { get; init; } = 0.6f;
    /// <summary>At most ⌈ratio · source tokens⌉ + <see cref="MaxLengthExtra"/> target tokens per sentence.</summary>
    public float MaxLengthRatio { get; init; } = 1.5f;
    /// <summary>Constant part of the length limit.</summary>
    public int MaxLengthExtra { get; init; } = 10;
    /// <summary>Sentences decoded side by side (sorted by length so batches pad little).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Throws on a bad field.</summary>
    public void Validate()
    {
        if (Beam < 1) throw new ArgumentException($"SearchOptions: Beam must be ≥ 1, got {Beam}.");
        if (BatchSize < 1) throw new ArgumentException($"SearchOptions: BatchSize must be ≥ 1, got {BatchSize}.");
        if (!(MaxLengthRatio > 0f) || MaxLengthExtra < 0) throw new ArgumentException($"SearchOptions: length limit {MaxLengthRatio}·S + {MaxLengthExtra} is invalid.");
    }
}

/// <summary>
/// Greedy and beam-search decoding of a <see cref="Seq2SeqModel"/>, batched over sentences (and beams). Beam search
/// keeps <c>k</c> hypotheses per sentence, moves finished ones (&lt;eos&gt;) aside, and stops a sentence once it has
/// <c>k</c> finished hypotheses or reaches its length limit; decoding stops when every sentence has.
/// Beam width 1 gives exactly the greedy output.
/// </summary>
public static class Seq2SeqSearch
{
    /// <summary>Translates every text, in order.</summary>
    public static string[] Translate(Seq2SeqModel model, IReadOnlyList<string> texts, SearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        var sources = new int[texts.Count][];
        for (int i = 0; i < sources.Length; i++)
        {
            sources[i] = model.EncodeSource(texts[i]);
            if (sources[i].Length > model.Config.MaxSourceLength)
                throw new ArgumentException($"Seq2SeqSearch: sentence {i + 1} has {sources[i].Length} tokens, more than the model's limit of {model.Config.MaxSourceLength}.");
        }
        var ids = Decode(model, sources, options);
        var result = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) result[i] = model.DecodeTarget(ids[i]);
        return result;
    }

    /// <summary>Target ids (without &lt;eos&gt;) for every source id sequence, in order; width 1 decodes greedily.</summary>
    public static int[][] Decode(Seq2SeqModel model, IReadOnlyList<int[]> sources, SearchOptions? options = null) =>
        Run(model, sources, options, forceBeam: false);

    /// <summary>As <see cref="Decode"/> but through the beam-search code even for width 1 (which must match greedy).</summary>
    public static int[][] BeamSearch(Seq2SeqModel model, IReadOnlyList<int[]> sources, SearchOptions? options = null) =>
        Run(model, sources, options, forceBeam: true);

    private static int[][] Run(Seq2SeqModel model, IReadOnlyList<int[]> sources, SearchOptions? options, bool forceBeam)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sources);
        options ??= new SearchOptions();
        options.Validate();
        var lengths = new int[sources.Count];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = sources[i].Length;
        var results = new int[sources.Count][];
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            foreach (var batch in Batching.LengthBucketed(lengths, options.BatchSize, 0, shuffle: false))
            {
                using var scope = new TensorScope();
                var padded = Batching.Pad(sources, batch, model.SourcePadId);
                var limits = new int[batch.Length];
                for (int i = 0; i < limits.Length; i++)
                    limits[i] = Math.Clamp((int)MathF.Ceiling(options.MaxLengthRatio * padded.Lengths[i]) + options.MaxLengthExtra, 1, model.Config.MaxTargetLength);
                var ids = options.Beam == 1 && !forceBeam ? Greedy(model, padded, limits) : Beam(model, padded, limits, options.Beam, options.LengthPenalty);
                for (int i = 0; i < batch.Length; i++) results[batch[i]] = ids[i];
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return results;
    }

    private static int[][] Greedy(Seq2SeqModel model, PaddedBatch source, int[] limits)
    {
        int rows = source.B, maxSteps = Max(limits);
        var state = model.Start(source, 1, maxSteps);
        var outputs = new List<int>[rows];
        var done = new bool[rows];
        var tokens = new int[rows];
        for (int r = 0; r < rows; r++) { outputs[r] = []; tokens[r] = model.BosId; }
        int open = rows;
        for (int step = 0; step < maxSteps && open > 0; step++)
        {
            var logits = model.Step(state, tokens).AsSpan(); // (R, V)
            int v = logits.Length / rows;
            for (int r = 0; r < rows; r++)
            {
                if (done[r]) { tokens[r] = model.EosId; continue; }
                int next = TensorPrimitives.IndexOfMax(logits.Slice(r * v, v));
                tokens[r] = next;
                if (next == model.EosId || outputs[r].Count + 1 >= limits[r])
                {
                    if (next != model.EosId) outputs[r].Add(next);
                    done[r] = true;
                    open--;
                }
                else outputs[r].Add(next);
            }
        }
        var result = new int[rows][];
        for (int r = 0; r < rows; r++) result[r] = [.. outputs[r]];
        return result;
    }

    private static int[][] Beam(Seq2SeqModel model, PaddedBatch source, int[] limits, int k, float alpha)
    {
        int n = source.B, rows = n * k, maxSteps = Max(limits), eos = model.EosId;
        var state = model.Start(source, k, maxSteps);
        var scores = new float[rows];
        var hyps = new int[rows][];
        var tokens = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            hyps[r] = [];
            tokens[r] = model.BosId;
            scores[r] = r % k == 0 ? 0f : float.NegativeInfinity; // one live beam per sentence at first
        }
        var finished = new List<(int[] Ids, float Score)>[n];
        var done = new bool[n];
        for (int i = 0; i < n; i++) finished[i] = [];
        var candScore = new float[2 * k];
        var candIndex = new long[2 * k];
        var parents = new int[rows];
        var newScores = new float[rows];
        var newHyps = new int[rows][];
        var logProbs = Array.Empty<float>();
        int open = n;
        for (int step = 0; step < maxSteps && open > 0; step++)
        {
            var logits = model.Step(state, tokens).AsSpan(); // (R, V)
            int v = logits.Length / rows;
            if (logProbs.Length < logits.Length) logProbs = new float[logits.Length];
            for (int r = 0; r < rows; r++) LogSoftmax(logits.Slice(r * v, v), logProbs.AsSpan(r * v, v));
            for (int i = 0; i < n; i++)
            {
                int first = i * k;
                if (done[i])
                {
                    for (int j = 0; j < k; j++) { parents[first + j] = first + j; newScores[first + j] = float.NegativeInfinity; newHyps[first + j] = hyps[first + j]; tokens[first + j] = eos; }
                    continue;
                }
                int found = TopCandidates(logProbs, scores, first, k, v, candScore, candIndex);
                int live = 0;
                for (int c = 0; c < found && live < k; c++)
                {
                    int parent = (int)(candIndex[c] / v), token = (int)(candIndex[c] % v);
                    if (token == eos)
                    {
                        if (finished[i].Count < k) finished[i].Add((hyps[parent], candScore[c] / Penalty(hyps[parent].Length + 1, alpha)));
                        continue;
                    }
                    int slot = first + live++;
                    parents[slot] = parent;
                    newScores[slot] = candScore[c];
                    newHyps[slot] = [.. hyps[parent], token];
                    tokens[slot] = token;
                }
                for (; live < k; live++)
                {
                    int slot = first + live;
                    parents[slot] = first; newScores[slot] = float.NegativeInfinity; newHyps[slot] = hyps[first]; tokens[slot] = eos;
                }
                bool atLimit = step + 1 >= limits[i];
                if (finished[i].Count >= k || atLimit)
                {
                    if (atLimit)
                        for (int j = 0; j < k; j++)
                            if (float.IsFinite(newScores[first + j]))
                                finished[i].Add((newHyps[first + j], newScores[first + j] / Penalty(newHyps[first + j].Length, alpha)));
                    done[i] = true;
                    open--;
                }
            }
            model.SelectRows(state, parents);
            (scores, newScores) = (newScores, scores);
            (hyps, newHyps) = (newHyps, hyps);
        }
        var result = new int[n][];
        for (int i = 0; i < n; i++)
        {
            (int[] Ids, float Score) best = finished[i].Count > 0 ? finished[i][0] : (hyps[i * k], 0f);
            foreach (var f in finished[i]) if (f.Score > best.Score) best = f;
            result[i] = best.Ids;
        }
        return result;
    }

    // The 2k best (parent row, token) continuations of sentence rows [first, first + k), best first; ties keep the
    // lower row and token so beam width 1 matches greedy's argmax.
    private static int TopCandidates(float[] logProbs, float[] scores, int first, int k, int v, float[] candScore, long[] candIndex)
    {
        int cap = 2 * k, count = 0;
        for (int j = 0; j < k; j++)
        {
            int r = first + j;
            float baseScore = scores[r];
            if (float.IsNegativeInfinity(baseScore)) continue;
            var row = logProbs.AsSpan(r * v, v);
            for (int t = 0; t < v; t++)
            {
                float s = baseScore + row[t];
                if (count == cap && !(s > candScore[cap - 1])) continue;
                int pos = count < cap ? count++ : cap - 1;
                while (pos > 0 && s > candScore[pos - 1])
                {
                    candScore[pos] = candScore[pos - 1];
                    candIndex[pos] = candIndex[pos - 1];
                    pos--;
                }
                candScore[pos] = s;
                candIndex[pos] = (long)r * v + t;
            }
        }
        return count;
    }

    private static void LogSoftmax(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        double sum = 0;
        foreach (float value in y) sum += Math.Exp(value);
        TensorPrimitives.Subtract(y, (float)Math.Log(sum), y);
    }

    private static float Penalty(int length, float alpha) => MathF.Pow((5f + length) / 6f, alpha);

    private static int Max(int[] values)
    {
        int m = 1;
        foreach (int x in values) m = Math.Max(m, x);
        return m;
    }
}
