using System.Security.Cryptography;
using System.Text.Json;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

[Collection("Serial")]
public sealed class PruneCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-prune-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string TrainModel(string encoder)
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(120, seed: 1));
        ToyTopics.WriteTsv(PathOf("test.tsv"), ToyTopics.Make(45, seed: 2));
        var model = PathOf($"{encoder}.tlm");
        var (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", PathOf("train.tsv"), "--encoder", encoder, "--vocab", "100",
            "--embed", "16", "--hidden", "8", "--max-len", "16", "--epochs", "4", "--lr", "0.02", "--batch", "16", "--out", model);
        Assert.True(exit == 0, stderr);
        return model;
    }

    [Theory]
    [InlineData("bilstm", "neurons")]
    [InlineData("bag", "vocab")]
    [InlineData("bag", null)]
    public void Prune_reports_before_and_after_as_json_and_shrinks_the_file(string encoder, string? structured)
    {
        var model = TrainModel(encoder);
        var output = PathOf("pruned.tlm");
        var args = new List<string> { "prune", model, "--out", output, "--sparsity", "0.5", "--finetune-data", PathOf("train.tsv"),
            "--epochs", "1", "--eval", PathOf("test.tsv"), "--json" };
        if (structured is not null) args.AddRange(["--structured", structured]);
        var (exit, stdout, stderr) = CliRunner.Run([.. args]);
        Assert.True(exit == 0, stderr + stdout);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        foreach (var side in new[] { "before", "after" })
            foreach (var key in new[] { "bytes", "parameters", "accuracy", "latency_ms_batch1", "throughput_batch64" })
                Assert.True(json.RootElement.GetProperty(side).TryGetProperty(key, out _), $"{side}.{key} missing: {stdout}");
        long before = json.RootElement.GetProperty("before").GetProperty("bytes").GetInt64();
        long after = json.RootElement.GetProperty("after").GetProperty("bytes").GetInt64();
        Assert.Equal(new FileInfo(output).Length, after);
        Assert.True(after < before, $"{after} ≥ {before}");
        var evaluated = CliRunner.Run("eval", output, PathOf("test.tsv"));
        Assert.True(evaluated.Exit == 0, evaluated.Err);
    }

    [Theory]
    [InlineData("--sparsity", "0", 2, "between 0 and 1")]
    [InlineData("--sparsity", "1", 2, "between 0 and 1")]
    [InlineData("--sparsity", "1.5", 2, "between 0 and 1")]
    [InlineData("--structured", "filters", 2, "neurons, heads or vocab")]
    [InlineData("--structured", "heads", 2, "transformer")]
    [InlineData("--epochs", "2", 2, "--finetune-data")]
    [InlineData("--finetune-data", "no-such-file.tsv", 1, "no-such-file.tsv")]
    public void Bad_input_fails_clearly_and_leaves_the_model_alone(string option, string value, int code, string message)
    {
        var model = TrainModel("bilstm");
        var hash = SHA256.HashData(File.ReadAllBytes(model));
        var output = PathOf("out.tlm");
        var args = new List<string> { "prune", model, "--out", output };
        if (option != "--sparsity") args.AddRange(["--sparsity", "0.5"]);
        args.AddRange([option, value]);
        var (exit, _, stderr) = CliRunner.Run([.. args]);
        Assert.Equal(code, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(model)));
    }

    [Fact]
    public void Output_equal_to_input_is_refused()
    {
        var model = TrainModel("bag");
        var (exit, _, stderr) = CliRunner.Run("prune", model, "--out", model, "--sparsity", "0.5");
        Assert.Equal(2, exit);
        Assert.Contains("input model", stderr);
    }
}
