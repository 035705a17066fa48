using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.Compression;

/// <summary>
/// Unstructured magnitude pruning of a classifier's weight matrices, each to the same sparsity (Zhu &amp; Gupta prune
/// layer by layer). Masks only grow: a pruned weight stays pruned whatever the optimizer does to it later, because
/// <see cref="Apply"/> zeroes it again after every step, and a new pruning event picks the smallest-magnitude weights
/// among those still alive. Biases, norms and position embeddings are left alone (few parameters, much effect).
/// </summary>
public sealed class MagnitudePruner
{
    private readonly Entry[] _entries;

    public MagnitudePruner(TextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var entries = new List<Entry>();
        foreach (var (name, tensor) in model.NamedParameters())
            if (IsPrunable(name, tensor)) entries.Add(new Entry(name, tensor, new bool[tensor.Length]));
        _entries = [.. entries];
    }

    /// <summary>
    /// Whether unstructured pruning touches this parameter: every weight matrix except position embeddings and the
    /// naive Bayes head's log-probability table (counted statistics, not weights: a zero there is a real probability)
    /// and the SVM head (fitted once, outside the gradient loop that would let the network make up for the cut).
    /// </summary>
    public static bool IsPrunable(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.Rank >= 2 && !name.Contains("position_embedding", StringComparison.Ordinal)
            && !name.StartsWith("nb.", StringComparison.Ordinal) && !name.StartsWith("svm.", StringComparison.Ordinal);
    }

    /// <summary>The pruned parameters' names.</summary>
    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    /// <summary>Weights in the prunable matrices.</summary>
    public long TotalCount => _entries.Sum(e => (long)e.Pruned.Length);

    /// <summary>Weights pruned so far.</summary>
    public long PrunedCount => _entries.Sum(e => (long)e.PrunedCount);

    /// <summary>Pruned share of <paramref name="name"/>.</summary>
    public double SparsityOf(string name)
    {
        var e = _entries.First(x => x.Name == name);
        return e.Pruned.Length == 0 ? 0 : (double)e.PrunedCount / e.Pruned.Length;
    }

    /// <summary>
    /// Grows every mask until ⌊sparsity·n⌋ of the matrix's weights are pruned, taking the smallest magnitudes among
    /// the live ones (ties by position, so the result is deterministic), then zeroes the pruned weights.
    /// </summary>
    public void PruneTo(double sparsity)
    {
        if (!(sparsity >= 0 && sparsity < 1)) throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "MagnitudePruner: sparsity must be in [0, 1).");
        foreach (var e in _entries)
        {
            int target = (int)Math.Floor(sparsity * e.Pruned.Length);
            int more = target - e.PrunedCount;
            if (more <= 0) continue;
            var w = e.Tensor.AsSpan();
            int live = e.Pruned.Length - e.PrunedCount;
            // Non-negative floats order like their bit patterns, so (magnitude bits, position) packed into one
            // long sorts by magnitude with ties broken by position: deterministic and allocation-light.
            var keys = new long[live];
            for (int i = 0, k = 0; i < w.Length; i++)
                if (!e.Pruned[i]) keys[k++] = ((long)BitConverter.SingleToInt32Bits(MathF.Abs(w[i])) << 32) | (uint)i;
            Array.Sort(keys);
            for (int k = 0; k < more; k++) e.Pruned[(int)(keys[k] & 0xFFFFFFFF)] = true;
            e.PrunedCount = target;
        }
        Apply();
    }

    /// <summary>Zeroes every pruned weight (call after each optimizer step).</summary>
    public void Apply()
    {
        foreach (var e in _entries)
        {
            var w = e.Tensor.AsSpan();
            var pruned = e.Pruned;
            for (int i = 0; i < pruned.Length; i++)
                if (pruned[i]) w[i] = 0f;
        }
    }

    private sealed class Entry(string name, Tensor tensor, bool[] pruned)
    {
        public string Name { get; } = name;
        public Tensor Tensor { get; } = tensor;
        public bool[] Pruned { get; } = pruned;
        public int PrunedCount { get; set; }
    }
}
