namespace TinyLM.Text;

/// <summary>One labelled text. <see cref="Line"/> is the 1-based line it started on (0 if made in code).</summary>
public sealed record TextExample(string Text, IReadOnlyList<string> Labels, int Line = 0)
{
    public TextExample(string text, string label, int line = 0)
        : this(text, [label], line)
    {
    }

    /// <summary>The first (for single-label data, the only) label.</summary>
    public string Label => Labels[0];
}

/// <summary>The examples read from one file, and how many bad lines were skipped.</summary>
public sealed class TextDataset
{
    public TextDataset(string source, IReadOnlyList<TextExample> examples, int skippedLines = 0, IReadOnlyList<string>? skipReasons = null)
    {
        Source = source;
        Examples = examples;
        SkippedLines = skippedLines;
        SkipReasons = skipReasons ?? [];
    }

    /// <summary>Path (or name) the examples came from.</summary>
    public string Source { get; }

    public IReadOnlyList<TextExample> Examples { get; }

    /// <summary>Bad lines skipped when reading with skipBad (always 0 otherwise).</summary>
    public int SkippedLines { get; }

    /// <summary>The first few skip messages (file:line: problem), for a warning.</summary>
    public IReadOnlyList<string> SkipReasons { get; }

    public int Count => Examples.Count;

    public IEnumerable<string> Texts => Examples.Select(e => e.Text);

    public IEnumerable<string> Labels => Examples.Select(e => e.Label);
}

/// <summary>File formats for labelled text.</summary>
public enum DatasetFormat
{
    /// <summary>Decide from the extension (and, for .tsv/.txt, from the first line).</summary>
    Auto,

    /// <summary><c>label&lt;TAB&gt;text</c> per line.</summary>
    Tsv,

    /// <summary><c>__label__a [__label__b …] text</c> per line.</summary>
    FastText,

    /// <summary>RFC 4180 CSV with a header naming the text and label columns.</summary>
    Csv,

    /// <summary>One JSON object per line: <c>{"text": …, "label": …}</c>.</summary>
    Jsonl,
}

/// <summary>Collects examples and bad lines while reading, applying the skipBad policy in one place.</summary>
internal sealed class ExampleCollector(string path, bool skipBad)
{
    private const int MaxReasons = 10;

    public List<TextExample> Examples { get; } = [];

    public int Skipped { get; private set; }

    public List<string> Reasons { get; } = [];

    /// <summary>
    /// The file's lines; with skipping, a line of invalid UTF-8 is counted as skipped here and reads as "" (a blank line,
    /// which every reader ignores); without, it is an error naming file and line.
    /// </summary>
    public List<string> ReadLines()
    {
        var lines = TextFile.ReadLines(path, skipBad, out var invalid);
        foreach (var (line, problem) in invalid) Bad(line, problem);
        Invalid = invalid;
        return lines;
    }

    /// <summary>The lines <see cref="ReadLines"/> found invalid (1-based), already counted as skipped.</summary>
    public IReadOnlyDictionary<int, string> Invalid { get; private set; } = new Dictionary<int, string>();

    public void Bad(int line, string problem)
    {
        var ex = new DataFormatException(path, line, problem);
        if (!skipBad)
            throw ex;
        Skipped++;
        if (Reasons.Count < MaxReasons)
            Reasons.Add(ex.Message);
    }

    public TextDataset Finish(string what)
    {
        if (Examples.Count == 0)
        {
            string why = Skipped > 0 ? $"no valid examples ({Skipped} bad lines skipped; first: {Reasons[0]})" : "no examples (the file is empty)";
            throw new DataFormatException(path, 0, $"{why}; expected {what}.");
        }
        return new TextDataset(path, Examples, Skipped, Reasons);
    }
}
