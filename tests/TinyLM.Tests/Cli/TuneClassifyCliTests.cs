using System.Text.Json;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

[Collection("Serial")]
public sealed class TuneClassifyCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-tune-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private void WriteData()
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(120, seed: 1));
        ToyTopics.WriteTsv(PathOf("test.tsv"), ToyTopics.Make(60, seed: 2));
    }

    [Fact]
    public void Tune_saves_a_model_within_the_size_budget_and_writes_the_leaderboard_it_prints()
    {
        WriteData();
        const long max = 60_000;
        string model = PathOf("best.tlm");
        var (exit, stdout, stderr) = CliRunner.Run("tune", "classify", "--train", PathOf("train.tsv"), "--test", PathOf("test.tsv"),
            "--budget-minutes", "5", "--max-model-bytes", max.ToString(), "--candidates", "6", "--brackets", "1", "--seed", "3", "--out", model);
        Assert.True(exit == 0, stderr);
        long bytes = new FileInfo(model).Length;
        Assert.True(bytes <= max, $"{bytes} bytes");
        Assert.Contains("leaderboard (", stdout);

        using var json = JsonDocument.Parse(File.ReadAllText(PathOf("best.leaderboard.json")));
        var root = json.RootElement;
        Assert.Equal(bytes, root.GetProperty("model_bytes").GetInt64());
        Assert.Equal(bytes, root.GetProperty("best").GetProperty("model_bytes").GetInt64()); // measured as trained, as saved
        Assert.Equal("accuracy", root.GetProperty("metric").GetString());
        var board = root.GetProperty("leaderboard").EnumerateArray().ToArray();
        Assert.Equal(6, board.Count(r => r.GetProperty("status").GetString() == "done")); // --candidates 6 that fit
        Assert.Contains(board, r => r.GetProperty("status").GetString() == "over_size"); // the CNN recipe alone is far over 60 kB
        foreach (var row in board.Where(r => r.GetProperty("status").GetString() == "done"))
            Assert.True(row.GetProperty("model_bytes").GetInt64() <= max);
        // The printed table lists the same candidates in the same order as the JSON.
        var printed = stdout.Split('\n').Where(l => l.Contains(" #")).Select(l => l[(l.IndexOf(" #", StringComparison.Ordinal) + 2)..].Split(' ')[0]).ToArray();
        Assert.Equal(board.Select(r => r.GetProperty("candidate").GetInt32().ToString()).Concat([root.GetProperty("best").GetProperty("candidate").GetInt32().ToString()]), printed);
        Assert.True(root.GetProperty("test_accuracy").GetDouble() > 0.8, stdout);
    }

    [Fact]
    public void An_impossible_size_budget_exits_2_and_writes_nothing()
    {
        WriteData();
        var before = Directory.GetFiles(_dir).Order().ToArray();
        var (exit, _, stderr) = CliRunner.Run("tune", "classify", "--train", PathOf("train.tsv"), "--max-model-bytes", "500",
            "--candidates", "3", "--out", PathOf("best.tlm"));
        Assert.Equal(2, exit);
        Assert.Contains("no candidate fits in 500 bytes", stderr);
        Assert.Equal(before, Directory.GetFiles(_dir).Order().ToArray());
    }

    [Fact]
    public void An_unknown_metric_is_a_usage_error()
    {
        WriteData();
        var (exit, _, stderr) = CliRunner.Run("tune", "classify", "--train", PathOf("train.tsv"), "--metric", "f1:crude", "--out", PathOf("best.tlm"));
        Assert.Equal(2, exit);
        Assert.Contains("--metric", stderr);
        Assert.False(File.Exists(PathOf("best.tlm")));
    }
}
