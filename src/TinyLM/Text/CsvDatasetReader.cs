using System.Text;

namespace TinyLM.Text;

/// <summary>
/// RFC 4180 CSV: comma separated, fields optionally in double quotes, a doubled quote inside
/// quotes is a literal quote, and quoted fields may hold commas and newlines. The first record
/// is the header; the text and label columns are chosen by name (exact, then case-insensitive).
/// </summary>
public static class CsvDatasetReader
{
    public static TextDataset Read(string path, string textColumn = "text", string labelColumn = "label", bool skipBad = false)
    {
        ArgumentNullException.ThrowIfNull(textColumn);
        ArgumentNullException.ThrowIfNull(labelColumn);
        var c = new ExampleCollector(path, skipBad);
        List<string> lines = c.ReadLines();
        int next = 0;
        List<string>? header = null;
        int headerLine = 0;
        while (header is null && next < lines.Count)
        {
            if (string.IsNullOrWhiteSpace(lines[next]))
            {
                next++;
                continue;
            }
            headerLine = next + 1;
            (List<string>? fields, string? error) = ParseRecord(lines, ref next);
            if (error is not null)
                throw new DataFormatException(path, headerLine, $"bad CSV header: {error}");
            header = fields!;
        }
        // The header names the columns: a line of invalid UTF-8 in or before it cannot be skipped.
        if (c.Invalid.Keys.Where(line => line <= next).Order().FirstOrDefault() is > 0 and int badHeader)
            throw new DataFormatException(path, badHeader, $"{c.Invalid[badHeader]} (in or before the CSV header, which cannot be skipped)");
        if (header is null)
            throw new DataFormatException(path, 0, $"no examples (the file is empty); expected a CSV header with columns \"{textColumn}\" and \"{labelColumn}\".");

        int textIdx = FindColumn(header, textColumn);
        int labelIdx = FindColumn(header, labelColumn);
        string columns = string.Join(", ", header.Select(h => $"\"{h}\""));
        if (textIdx < 0)
            throw new DataFormatException(path, headerLine, $"the CSV header has no text column \"{textColumn}\" (columns: {columns}).");
        if (labelIdx < 0)
            throw new DataFormatException(path, headerLine, $"the CSV header has no label column \"{labelColumn}\" (columns: {columns}).");

        while (next < lines.Count)
        {
            if (lines[next].Length == 0)
            {
                next++;
                continue;
            }
            int recordLine = next + 1;
            (List<string>? fields, string? error) = ParseRecord(lines, ref next);
            // A record holding a line of invalid UTF-8 (read as "", counted as skipped) is dropped with it.
            if (c.Invalid.Count > 0 && Enumerable.Range(recordLine, next - recordLine + 1).Any(c.Invalid.ContainsKey))
                continue;
            if (error is not null)
            {
                c.Bad(recordLine, error);
                continue;
            }
            if (fields!.Count != header.Count)
            {
                c.Bad(recordLine, $"expected {header.Count} fields as in the header but found {fields.Count}.");
                continue;
            }
            string text = fields[textIdx], label = fields[labelIdx].Trim();
            if (label.Length == 0)
                c.Bad(recordLine, $"expected a label in column \"{labelColumn}\" but it is empty.");
            else if (string.IsNullOrWhiteSpace(text))
                c.Bad(recordLine, $"expected text in column \"{textColumn}\" but it is empty.");
            else
                c.Examples.Add(new TextExample(text, label, recordLine));
        }
        return c.Finish($"CSV records with columns \"{textColumn}\" and \"{labelColumn}\"");
    }

    private static int FindColumn(List<string> header, string name)
    {
        int i = header.FindIndex(h => string.Equals(h.Trim(), name, StringComparison.Ordinal));
        return i >= 0 ? i : header.FindIndex(h => string.Equals(h.Trim(), name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Parses one record starting at line <paramref name="next"/>, consuming further lines while a
    /// quoted field is open, and advances <paramref name="next"/> past the record.
    /// </summary>
    internal static (List<string>? Fields, string? Error) ParseRecord(List<string> lines, ref int next)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int startLine = next;
        string line = lines[next++];
        int i = 0;
        while (true)
        {
            // Start of a field.
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        if (next >= lines.Count)
                            return (null, $"a quoted field opened on line {startLine + 1} is never closed (missing '\"').");
                        field.Append('\n');
                        line = lines[next++];
                        i = 0;
                        continue;
                    }
                    char ch = line[i++];
                    if (ch != '"')
                    {
                        field.Append(ch);
                        continue;
                    }
                    if (i < line.Length && line[i] == '"')
                    {
                        field.Append('"');
                        i++;
                        continue;
                    }
                    break; // closing quote
                }
                if (i < line.Length && line[i] != ',')
                    return (null, $"expected ',' or end of line after a closing quote but found '{line[i]}'.");
            }
            else
            {
                int comma = line.IndexOf(',', i);
                int end = comma < 0 ? line.Length : comma;
                field.Append(line, i, end - i);
                i = end;
            }
            fields.Add(field.ToString());
            field.Clear();
            if (i >= line.Length)
                return (fields, null);
            i++; // skip the comma; a trailing comma means one more (empty) field
            if (i >= line.Length)
            {
                fields.Add("");
                return (fields, null);
            }
        }
    }
}
