namespace TinyLM.Text;

/// <summary>One aligned translation pair. <see cref="Line"/> is its 1-based line number.</summary>
public sealed record SentencePair(string Source, string Target, int Line = 0);

/// <summary>
/// Aligned sentence pairs for translation: two files where line N of one translates line N of
/// the other (Multi30k's train.de / train.en), or one TSV file of <c>source&lt;TAB&gt;target</c>.
/// </summary>
public sealed class ParallelCorpus
{
    public ParallelCorpus(string source, IReadOnlyList<SentencePair> pairs, int skippedLines = 0)
    {
        Source = source;
        Pairs = pairs;
        SkippedLines = skippedLines;
    }

    public string Source { get; }

    public IReadOnlyList<SentencePair> Pairs { get; }

    public int SkippedLines { get; }

    public int Count => Pairs.Count;

    /// <summary>Reads two line-aligned files; a different number of lines is an error naming both.</summary>
    public static ParallelCorpus Read(string sourcePath, string targetPath, bool skipBad = false)
    {
        // With skipBad a line of invalid UTF-8 reads as "" and is listed: its pair is skipped and counted.
        List<string> src = TextFile.ReadLines(sourcePath, skipBad, out var badSrc);
        List<string> tgt = TextFile.ReadLines(targetPath, skipBad, out var badTgt);
        if (src.Count != tgt.Count)
            throw new DataFormatException(sourcePath, 0, $"has {src.Count} lines but {targetPath} has {tgt.Count}; a parallel corpus needs line N of one file to translate line N of the other.");
        var pairs = new List<SentencePair>(src.Count);
        int skipped = 0;
        for (int i = 0; i < src.Count; i++)
        {
            if (badSrc.ContainsKey(i + 1) || badTgt.ContainsKey(i + 1))
            {
                skipped++;
                continue;
            }
            bool emptySrc = string.IsNullOrWhiteSpace(src[i]), emptyTgt = string.IsNullOrWhiteSpace(tgt[i]);
            if (emptySrc && emptyTgt)
                continue;
            if (emptySrc || emptyTgt)
            {
                if (!skipBad)
                    throw new DataFormatException(emptySrc ? sourcePath : targetPath, i + 1, $"expected a sentence but the line is empty while {(emptySrc ? targetPath : sourcePath)}:{i + 1} is not.");
                skipped++;
                continue;
            }
            pairs.Add(new SentencePair(src[i], tgt[i], i + 1));
        }
        if (pairs.Count == 0)
            throw new DataFormatException(sourcePath, 0, $"no sentence pairs (with {targetPath}); the files are empty.");
        return new ParallelCorpus($"{sourcePath} + {targetPath}", pairs, skipped);
    }

    /// <summary>Reads <c>source&lt;TAB&gt;target</c> lines.</summary>
    public static ParallelCorpus ReadTsv(string path, bool skipBad = false)
    {
        List<string> lines = TextFile.ReadLines(path, skipBad, out var invalid);
        var pairs = new List<SentencePair>(lines.Count);
        int skipped = invalid.Count; // lines of invalid UTF-8 (with skipBad; read as "")
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
                continue;
            string[] parts = line.Split('\t');
            string? problem = parts.Length != 2
                ? $"expected \"source<TAB>target\" but found {parts.Length - 1} tabs: \"{TextDatasetReader.Preview(line)}\"."
                : string.IsNullOrWhiteSpace(parts[0]) || string.IsNullOrWhiteSpace(parts[1])
                    ? "expected \"source<TAB>target\" but one side is empty."
                    : null;
            if (problem is not null)
            {
                if (!skipBad)
                    throw new DataFormatException(path, i + 1, problem);
                skipped++;
                continue;
            }
            pairs.Add(new SentencePair(parts[0], parts[1], i + 1));
        }
        if (pairs.Count == 0)
            throw new DataFormatException(path, 0, skipped > 0 ? $"no valid sentence pairs ({skipped} bad lines skipped)." : "no sentence pairs (the file is empty).");
        return new ParallelCorpus(path, pairs, skipped);
    }
}
