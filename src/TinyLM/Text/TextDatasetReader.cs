using System.Text.Json;

namespace TinyLM.Text;

/// <summary>
/// Readers for labelled text. Every reader strips a UTF-8 BOM, accepts CRLF, rejects invalid
/// UTF-8, ignores blank lines and reports a bad line as <c>file:line: problem</c>; with
/// <c>skipBad</c> bad lines are skipped and counted instead (<see cref="TextDataset.SkippedLines"/>).
/// </summary>
public static class TextDatasetReader
{
    private const string FastTextPrefix = "__label__";

    /// <summary>Reads a labelled dataset in the given (or detected) format.</summary>
    public static TextDataset Read(string path, DatasetFormat format = DatasetFormat.Auto, bool skipBad = false,
        string textField = "text", string labelField = "label")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (format == DatasetFormat.Auto)
            format = DetectFormat(path);
        return format switch
        {
            DatasetFormat.Tsv => ReadTsv(path, skipBad),
            DatasetFormat.FastText => ReadFastText(path, skipBad),
            DatasetFormat.Csv => CsvDatasetReader.Read(path, textField, labelField, skipBad),
            DatasetFormat.Jsonl => ReadJsonl(path, skipBad, textField, labelField),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown dataset format."),
        };
    }

    /// <summary>
    /// .csv → CSV, .jsonl/.json → JSONL; anything else (.tsv, .txt, …) is fastText when its first
    /// non-blank line starts with <c>__label__</c>, TSV otherwise.
    /// </summary>
    public static DatasetFormat DetectFormat(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        switch (ext)
        {
            case ".csv":
                return DatasetFormat.Csv;
            case ".jsonl" or ".json" or ".ndjson":
                return DatasetFormat.Jsonl;
        }
        // A line of invalid UTF-8 says nothing about the format: the reader reports it (or skips it with skipBad).
        foreach (string line in TextFile.ReadLines(path, skipInvalid: true, out _))
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            return line.TrimStart().StartsWith(FastTextPrefix, StringComparison.Ordinal) ? DatasetFormat.FastText : DatasetFormat.Tsv;
        }
        return DatasetFormat.Tsv;
    }

    /// <summary><c>label&lt;TAB&gt;text</c> per line (the text may itself contain tabs).</summary>
    public static TextDataset ReadTsv(string path, bool skipBad = false)
    {
        var c = new ExampleCollector(path, skipBad);
        List<string> lines = c.ReadLines();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
                continue;
            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0)
            {
                c.Bad(i + 1, $"expected \"label<TAB>text\" but the line has no tab: \"{Preview(line)}\".");
                continue;
            }
            string label = line[..tab].Trim();
            string text = line[(tab + 1)..];
            if (label.Length == 0)
                c.Bad(i + 1, "expected \"label<TAB>text\" but the label is empty.");
            else if (string.IsNullOrWhiteSpace(text))
                c.Bad(i + 1, $"expected \"label<TAB>text\" but the text after label \"{label}\" is empty.");
            else
                c.Examples.Add(new TextExample(text, label, i + 1));
        }
        return c.Finish("\"label<TAB>text\" lines");
    }

    /// <summary>fastText format: every token starting with <c>__label__</c> is a label, the rest is the text.</summary>
    public static TextDataset ReadFastText(string path, bool skipBad = false)
    {
        var c = new ExampleCollector(path, skipBad);
        List<string> lines = c.ReadLines();
        var labels = new List<string>();
        var words = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
                continue;
            labels.Clear();
            words.Clear();
            string? badLabel = null;
            foreach (string tok in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (tok.StartsWith(FastTextPrefix, StringComparison.Ordinal))
                {
                    if (tok.Length == FastTextPrefix.Length)
                        badLabel ??= tok;
                    else
                        labels.Add(tok[FastTextPrefix.Length..]);
                }
                else
                {
                    words.Add(tok);
                }
            }
            if (badLabel is not null)
                c.Bad(i + 1, "expected \"__label__NAME\" but found a label with an empty name.");
            else if (labels.Count == 0)
                c.Bad(i + 1, $"expected at least one \"__label__NAME\" token: \"{Preview(line)}\".");
            else if (words.Count == 0)
                c.Bad(i + 1, $"expected text after the label(s) {string.Join(", ", labels)} but the text is empty.");
            else
                c.Examples.Add(new TextExample(string.Join(' ', words), [.. labels], i + 1));
        }
        return c.Finish("\"__label__NAME text\" lines");
    }

    /// <summary>
    /// One JSON object per line. The text field must be a string; the label field a string, a
    /// number, or an array of them (multi-label).
    /// </summary>
    public static TextDataset ReadJsonl(string path, bool skipBad = false, string textField = "text", string labelField = "label")
    {
        var c = new ExampleCollector(path, skipBad);
        List<string> lines = c.ReadLines();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
                continue;
            string? problem = ParseJsonLine(line, textField, labelField, out TextExample? example, i + 1);
            if (problem is not null)
                c.Bad(i + 1, problem);
            else
                c.Examples.Add(example!);
        }
        return c.Finish($"JSON objects with \"{textField}\" and \"{labelField}\"");
    }

    private static string? ParseJsonLine(string line, string textField, string labelField, out TextExample? example, int lineNo)
    {
        example = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            return $"invalid JSON: {ex.Message}";
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return $"expected a JSON object but found {root.ValueKind}.";
            if (!root.TryGetProperty(textField, out JsonElement t) || t.ValueKind != JsonValueKind.String)
                return $"expected a string field \"{textField}\"{(root.TryGetProperty(textField, out _) ? $" but it is {t.ValueKind}" : " but it is missing")}.";
            if (!root.TryGetProperty(labelField, out JsonElement l))
                return $"expected a field \"{labelField}\" but it is missing.";
            var labels = new List<string>();
            if (l.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in l.EnumerateArray())
                {
                    string? s = LabelText(item);
                    if (s is null)
                        return $"expected \"{labelField}\" items to be strings or numbers but found {item.ValueKind}.";
                    labels.Add(s);
                }
            }
            else if (LabelText(l) is string s)
            {
                labels.Add(s);
            }
            else
            {
                return $"expected \"{labelField}\" to be a string, number or array but found {l.ValueKind}.";
            }
            if (labels.Count == 0 || labels.Any(string.IsNullOrWhiteSpace))
                return $"expected a non-empty \"{labelField}\".";
            string text = t.GetString()!;
            if (string.IsNullOrWhiteSpace(text))
                return $"expected a non-empty \"{textField}\".";
            example = new TextExample(text, labels, lineNo);
            return null;
        }
    }

    private static string? LabelText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        _ => null,
    };

    /// <summary>A whole raw-text corpus (for language models), CRLF normalised to LF.</summary>
    public static string ReadRawText(string path)
    {
        string text = TextFile.ReadAllText(path);
        if (text.Length == 0)
            throw new DataFormatException(path, 0, "the file is empty; expected raw text for a language-model corpus.");
        return text;
    }

    internal static string Preview(string line) => line.Length <= 60 ? line : line[..60] + "…";
}
