using System.Text;
using TinyLM.Text;

namespace TinyLM.IO;

/// <summary>Turns verified source bytes into the dataset's files (see <see cref="DatasetTransform"/>).</summary>
internal static class DatasetTransforms
{
    public static byte[][] Apply(DatasetInfo info, IReadOnlyList<byte[]> sources, IReadOnlyList<string> sourceNames)
    {
        switch (info.Transform)
        {
            case DatasetTransform.None:
                return [.. sources];
            case DatasetTransform.AppendFinalNewline:
                return [.. sources.Select(s => s.Length > 0 && s[^1] == (byte)'\n' ? s : [.. s, (byte)'\n'])];
            case DatasetTransform.MovieReviewJoin:
                return MovieReviewJoin(sources[0], sources[1], sourceNames[0], sourceNames[1]);
            default:
                throw new InvalidOperationException($"unknown dataset transform {info.Transform}.");
        }
    }

    private static byte[][] MovieReviewJoin(byte[] metaBytes, byte[] corpusBytes, string metaName, string corpusName)
    {
        string[] meta = Encoding.ASCII.GetString(metaBytes).Split('\n');
        string[] corpus = Windows1252.Decode(corpusBytes).Split('\n');
        var train = new StringBuilder();
        var test = new StringBuilder();
        int n = meta.Length;
        while (n > 0 && meta[n - 1].Length == 0)
            n--;
        if (corpus.Length < n)
            throw new InvalidDataException($"{corpusName} has {corpus.Length} lines but {metaName} describes {n}.");
        for (int i = 0; i < n; i++)
        {
            string[] parts = meta[i].TrimEnd('\r').Split('\t');
            if (parts.Length != 3 || parts[1] is not ("train" or "test") || parts[2] is not ("0" or "1"))
                throw new InvalidDataException($"{metaName}:{i + 1}: expected \"index<TAB>train|test<TAB>0|1\" but found \"{meta[i]}\".");
            string text = corpus[i].TrimEnd('\r').TrimEnd(' ');
            StringBuilder dst = parts[1] == "train" ? train : test;
            dst.Append(parts[2] == "1" ? "pos" : "neg").Append('\t').Append(text).Append('\n');
        }
        return [Encoding.UTF8.GetBytes(train.ToString()), Encoding.UTF8.GetBytes(test.ToString())];
    }
}
