using System.Text.Json;

namespace TinyLM.Text;

/// <summary>
/// Class labels ↔ indices. Labels are sorted by ordinal string order so the same label set always
/// gets the same indices, whatever order the examples came in.
/// </summary>
public sealed class LabelMap
{
    private readonly string[] _labels;
    private readonly Dictionary<string, int> _index;

    private LabelMap(string[] sortedLabels)
    {
        _labels = sortedLabels;
        _index = new Dictionary<string, int>(sortedLabels.Length, StringComparer.Ordinal);
        for (int i = 0; i < sortedLabels.Length; i++)
            _index.Add(sortedLabels[i], i);
    }

    /// <summary>The distinct labels of <paramref name="labels"/>, sorted.</summary>
    public static LabelMap FromLabels(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string l in labels)
        {
            if (string.IsNullOrEmpty(l))
                throw new ArgumentException("LabelMap: a label is empty.", nameof(labels));
            set.Add(l);
        }
        if (set.Count == 0)
            throw new ArgumentException("LabelMap: no labels given.", nameof(labels));
        return new LabelMap([.. set]);
    }

    /// <summary>The labels of a dataset (every label of multi-label examples included).</summary>
    public static LabelMap FromExamples(IEnumerable<TextExample> examples) =>
        FromLabels(examples.SelectMany(e => e.Labels));

    public int Count => _labels.Length;

    /// <summary>Labels in index order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    public string this[int index] =>
        (uint)index < (uint)_labels.Length
            ? _labels[index]
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"LabelMap: index {index} is outside [0, {_labels.Length}).");

    public bool TryGetIndex(string label, out int index) => _index.TryGetValue(label, out index);

    /// <summary>Index of a label; an unseen label throws, listing the known ones.</summary>
    public int IndexOf(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (_index.TryGetValue(label, out int i))
            return i;
        string known = _labels.Length <= 20 ? string.Join(", ", _labels) : string.Join(", ", _labels.Take(20)) + ", …";
        throw new KeyNotFoundException($"LabelMap: unknown label \"{label}\" (known: {known}).");
    }

    /// <summary>First-label index of every example.</summary>
    public int[] Encode(IReadOnlyList<TextExample> examples)
    {
        var y = new int[examples.Count];
        for (int i = 0; i < y.Length; i++)
            y[i] = IndexOf(examples[i].Label);
        return y;
    }

    /// <summary>The labels as a JSON array in index order.</summary>
    public string ToJson() => JsonSerializer.Serialize([.. _labels], TextJsonContext.Default.ListString);

    public static LabelMap FromJson(string json, string source = "labels")
    {
        List<string> labels = Tokenizers.Deserialize(json, TextJsonContext.Default.ListString, source);
        for (int i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrEmpty(labels[i]))
                throw new DataFormatException(source, 0, $"labels[{i}] is empty.");
            if (i > 0 && string.CompareOrdinal(labels[i - 1], labels[i]) >= 0)
                throw new DataFormatException(source, 0, $"labels must be distinct and sorted; labels[{i - 1}] = \"{labels[i - 1]}\" is not before labels[{i}] = \"{labels[i]}\".");
        }
        if (labels.Count == 0)
            throw new DataFormatException(source, 0, "labels array is empty.");
        return new LabelMap([.. labels]);
    }
}
