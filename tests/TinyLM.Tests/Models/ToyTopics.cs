using TinyLM.Text;

namespace TinyLM.Tests.Models;

/// <summary>
/// A small synthetic topic corpus: each class has its own keywords mixed into shared filler words, so a
/// working classifier separates the classes and a broken one stays at chance (1/3).
/// </summary>
internal static class ToyTopics
{
    private static readonly string[][] Keywords =
    [
        ["oil", "barrel", "crude", "opec", "refinery"],
        ["wheat", "grain", "corn", "harvest", "tonnes"],
        ["shares", "merger", "acquire", "stake", "bid"],
    ];
    private static readonly string[] Labels = ["crude", "grain", "acq"];
    private static readonly string[] Filler = ["the", "said", "company", "year", "market", "week", "new", "report", "analysts", "today", "price", "group"];

    public static TextDataset Make(int count, int seed, string source = "toy.tsv")
    {
        var rng = new Random(seed);
        var examples = new List<TextExample>(count);
        for (int i = 0; i < count; i++)
        {
            int c = i % Labels.Length;
            int length = rng.Next(4, 14);
            var words = new List<string>(length);
            for (int w = 0; w < length; w++)
                words.Add(rng.NextDouble() < 0.35 ? Keywords[c][rng.Next(Keywords[c].Length)] : Filler[rng.Next(Filler.Length)]);
            words[rng.Next(length)] = Keywords[c][rng.Next(Keywords[c].Length)]; // at least one keyword
            examples.Add(new TextExample(string.Join(' ', words), Labels[c], i + 1));
        }
        return new TextDataset(source, examples);
    }

    public static void WriteTsv(string path, TextDataset data) =>
        File.WriteAllLines(path, data.Examples.Select(e => $"{e.Label}\t{e.Text}"));
}
