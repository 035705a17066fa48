using System.Globalization;
using TinyLM.IO;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

/// <summary><c>train classify --vectors FILE [--freeze-embeddings]</c>: embeddings from a .vec file, and its bad inputs.</summary>
[Collection("Serial")]
public sealed class VectorsClassifyCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-vec-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static readonly string[] VectorWords = ["oil", "crude", "wheat", "grain", "shares", "merger", "the", "zzz-not-in-data"];

    private static float ValueOf(int word, int k) => 0.25f * (word + 1) - 0.1f * k;

    // word2vec/fastText layout ("count dim" header) with distinct values per word.
    private string WriteVectors(int dim, string name = "toy.vec")
    {
        var lines = new List<string> { $"{VectorWords.Length} {dim}" };
        for (int w = 0; w < VectorWords.Length; w++)
            lines.Add(VectorWords[w] + string.Concat(Enumerable.Range(0, dim).Select(k => " " + ValueOf(w, k).ToString("R", CultureInfo.InvariantCulture))));
        File.WriteAllLines(PathOf(name), lines);
        return PathOf(name);
    }

    private string[] TrainArgs(string model, params string[] extra) =>
    [
        "train", "classify", "--train", PathOf("train.tsv"), "--test", PathOf("test.tsv"), "--encoder", "cnn", "--vocab", "100",
        "--hidden", "8", "--max-len", "16", "--epochs", "6", "--lr", "0.02", "--batch", "16", "--dropout", "0", "--out", model, .. extra,
    ];

    private void WriteData()
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(150, seed: 1));
        ToyTopics.WriteTsv(PathOf("test.tsv"), ToyTopics.Make(60, seed: 2));
    }

    [Fact]
    public void Vectors_set_the_embedding_width_and_frozen_rows_are_saved_as_in_the_file()
    {
        WriteData();
        string vec = WriteVectors(dim: 6), model = PathOf("model.tlm");
        var (exit, stdout, stderr) = CliRunner.Run(TrainArgs(model, "--vectors", vec, "--freeze-embeddings"));
        Assert.True(exit == 0, stderr);
        // Seven of the eight vectors are words of the toy data (the eighth is not).
        var saved = TextClassifierFile.Load(model);
        int vocabularyWords = saved.Words!.VocabSize - 2;
        Assert.Contains($"vectors: 7 of {vocabularyWords} vocabulary words found in {vec}", stderr);
        Assert.Contains("accuracy", stdout);
        Assert.Equal(6, saved.Config.EmbedDim);
        var table = saved.Embedding.Weight.ToArray();
        for (int w = 0; w < VectorWords.Length; w++)
        {
            if (!saved.Words.WordIndex.TryGetValue(VectorWords[w], out int id)) continue;
            for (int k = 0; k < 6; k++) Assert.Equal(ValueOf(w, k), table[id * 6 + k]);
        }
        Assert.False(saved.Words.WordIndex.ContainsKey("zzz-not-in-data"));
    }

    [Fact]
    public void Unfrozen_vectors_are_trained_further()
    {
        WriteData();
        string vec = WriteVectors(dim: 6), model = PathOf("model.tlm");
        var (exit, _, stderr) = CliRunner.Run(TrainArgs(model, "--vectors", vec));
        Assert.True(exit == 0, stderr);
        var saved = TextClassifierFile.Load(model);
        int oil = saved.Words!.WordIndex["oil"];
        Assert.NotEqual(ValueOf(0, 0), saved.Embedding.Weight.ToArray()[oil * 6]);
    }

    public static TheoryData<string, string[], int, string> BadInputs => new()
    {
        // name of the vector file's content, extra flags, exit code, what the message must say
        { "dim6", ["--embed", "8"], 2, "the vectors are 6 wide but --embed is 8" },
        { "ragged", [], 1, "ragged.vec:3: expected 6 numbers after 'wheat', found 5" },
        { "nan-word", [], 1, "nan-word.vec:2: expected a number in column 3, found 'x1'" },
        { "missing", [], 1, "--vectors: no such file" },
        { "dim6", ["--warm-start-epochs", "3"], 2, "give one of them" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_vector_input_fails_clearly_and_writes_nothing(string kind, string[] extra, int expectedExit, string expectedMessage)
    {
        WriteData();
        string vec = kind switch
        {
            "dim6" => WriteVectors(dim: 6, "dim6.vec"),
            "ragged" => Write("ragged.vec", "3 6\noil 1 2 3 4 5 6\nwheat 1 2 3 4 5\nshares 1 2 3 4 5 6\n"),
            "nan-word" => Write("nan-word.vec", "oil 1 2 3\nwheat 1 x1 3\n"),
            _ => PathOf("missing.vec"),
        };
        string model = PathOf("out.tlm");
        var before = Directory.GetFiles(_dir).Order().ToArray();
        var (exit, _, stderr) = CliRunner.Run(TrainArgs(model, ["--vectors", vec, .. extra]));
        Assert.Equal(expectedExit, exit);
        Assert.Contains(expectedMessage, stderr);
        Assert.Contains(Path.GetFileName(vec), stderr);
        Assert.DoesNotContain("   at ", stderr); // a message, not a stack trace
        Assert.Equal(before, Directory.GetFiles(_dir).Order().ToArray()); // no model, no temporary file
    }

    private string Write(string name, string text)
    {
        File.WriteAllText(PathOf(name), text);
        return PathOf(name);
    }
}
