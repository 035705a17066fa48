using System.Globalization;
using System.Text;
using TinyLM.Training.Vectors;

namespace TinyLM.IO;


/// <summary>Raised for a malformed vector file; the message names the file, the line and what was expected.</summary>
public sealed class VecFormatException(string message) : Exception(message);

/// <summary>Word vectors in the text layout shared by word2vec, fastText (first line "count dim") and GloVe (no header).</summary>
public static class VecFile
{
    /// <summary>Writes <paramref name="vectors"/> atomically with a "count dim" header line.</summary>
    public static void Write(string path, WordVectors vectors)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            w.Write(vectors.Words.Count.ToString(CultureInfo.InvariantCulture));
            w.Write(' ');
            w.WriteLine(vectors.Dim.ToString(CultureInfo.InvariantCulture));
            for (int i = 0; i < vectors.Words.Count; i++)
            {
                w.Write(vectors.Words[i]);
                foreach (float v in vectors.Row(i))
                {
                    w.Write(' ');
                    w.Write(v.ToString("G6", CultureInfo.InvariantCulture));
                }
                w.WriteLine();
            }
        });
    }

    /// <summary>Reads a .vec file; throws <see cref="VecFormatException"/> on inconsistent dimensions, non-numbers or a wrong count.</summary>
    public static WordVectors Read(string path)
    {
        var words = new List<string>();
        var values = new List<float>();
        int dim = -1, declaredCount = -1, lineNo = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNo++;
            string line = raw.TrimEnd(' ', '\r', '\t');
            if (line.Length == 0) continue;
            string[] parts = line.Split(' ');
            if (lineNo == 1 && parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int c)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int d) && d > 0)
            {
                declaredCount = c;
                dim = d;
                continue;
            }
            if (parts.Length < 2)
                throw new VecFormatException($"{path}:{lineNo}: expected a word followed by numbers, found '{Clip(line)}'");
            int n = parts.Length - 1;
            if (dim < 0) dim = n;
            else if (n != dim)
                throw new VecFormatException($"{path}:{lineNo}: expected {dim} numbers after '{Clip(parts[0])}', found {n}");
            for (int k = 1; k < parts.Length; k++)
            {
                if (!float.TryParse(parts[k], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                    throw new VecFormatException($"{path}:{lineNo}: expected a number in column {k + 1}, found '{Clip(parts[k])}'");
                values.Add(v);
            }
            words.Add(parts[0]);
        }
        if (dim < 0)
            throw new VecFormatException($"{path}: expected word vectors, found none");
        if (declaredCount >= 0 && declaredCount != words.Count)
            throw new VecFormatException($"{path}: the header declares {declaredCount} words, the file has {words.Count}");
        return new WordVectors(words, dim, values.ToArray());
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
