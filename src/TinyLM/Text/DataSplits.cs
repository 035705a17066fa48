using TinyLM.Tensors;

namespace TinyLM.Text;

/// <summary>Seeded shuffles and splits; the same seed gives the same result on every machine.</summary>
public static class DataSplits
{
    /// <summary>A permutation of 0..n-1.</summary>
    public static int[] ShuffledIndices(int n, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int[] idx = new int[n];
        for (int i = 0; i < n; i++)
            idx[i] = i;
        new SplitMix64(seed).Shuffle(idx.AsSpan());
        return idx;
    }

    /// <summary>Shuffles items in place.</summary>
    public static void Shuffle<T>(Span<T> items, ulong seed) => new SplitMix64(seed).Shuffle(items);

    /// <summary>
    /// Stratified split of example indices: every class contributes round(fraction × its size)
    /// examples to validation (at least one when a class has two or more examples), so the class
    /// proportions match. Both index lists are returned sorted ascending.
    /// </summary>
    public static (int[] Train, int[] Validation) StratifiedSplit(IReadOnlyList<int> labels, double validationFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "validation fraction must be in [0, 1).");
        var byClass = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (!byClass.TryGetValue(labels[i], out List<int>? list))
                byClass[labels[i]] = list = [];
            list.Add(i);
        }
        var rng = new SplitMix64(seed);
        var train = new List<int>(labels.Count);
        var val = new List<int>();
        foreach (List<int> members in byClass.Values)
        {
            int[] m = [.. members];
            rng.Shuffle(m.AsSpan());
            int nVal = (int)Math.Round(validationFraction * m.Length, MidpointRounding.AwayFromZero);
            if (validationFraction > 0 && nVal == 0 && m.Length >= 2)
                nVal = 1;
            if (nVal >= m.Length)
                nVal = m.Length - 1; // keep every class in training
            val.AddRange(m.AsSpan(0, nVal));
            train.AddRange(m.AsSpan(nVal));
        }
        train.Sort();
        val.Sort();
        return ([.. train], [.. val]);
    }

    /// <summary>Plain seeded split: a shuffled <paramref name="validationFraction"/> goes to validation.</summary>
    public static (int[] Train, int[] Validation) RandomSplit(int n, double validationFraction, ulong seed)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "validation fraction must be in [0, 1).");
        int[] idx = ShuffledIndices(n, seed);
        int nVal = (int)Math.Round(validationFraction * n, MidpointRounding.AwayFromZero);
        int[] val = idx[..nVal], train = idx[nVal..];
        Array.Sort(val);
        Array.Sort(train);
        return (train, val);
    }
}
