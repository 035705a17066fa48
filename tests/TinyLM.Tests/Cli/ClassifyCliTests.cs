using System.Text.Json;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

[Collection("Serial")]
public sealed class ClassifyCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string TrainSmallModel(string encoder = "bag")
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(150, seed: 1));
        ToyTopics.WriteTsv(PathOf("test.tsv"), ToyTopics.Make(60, seed: 2));
        var model = PathOf("model.tlm");
        var (exit, stdout, stderr) = CliRunner.Run("train", "classify", "--train", PathOf("train.tsv"), "--test", PathOf("test.tsv"),
            "--encoder", encoder, "--vocab", "100", "--embed", "16", "--hidden", "8", "--max-len", "16", "--epochs", "8",
            "--lr", "0.02", "--batch", "16", "--dropout", "0", "--out", model, "--json");
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        foreach (var key in new[] { "accuracy", "macro_f1", "train_seconds", "tokens_per_second", "parameters", "model_bytes", "peak_memory_bytes" })
            Assert.True(json.RootElement.TryGetProperty(key, out _), $"missing {key} in {stdout}");
        Assert.True(json.RootElement.GetProperty("accuracy").GetDouble() > 0.9, stdout);
        Assert.Equal(new FileInfo(model).Length, json.RootElement.GetProperty("model_bytes").GetInt64());
        return model;
    }

    [Fact]
    public void Eval_accuracy_equals_accuracy_recomputed_from_predict_json()
    {
        var model = TrainSmallModel();
        var (exit, evalOut, evalErr) = CliRunner.Run("eval", model, PathOf("test.tsv"), "--json");
        Assert.True(exit == 0, evalErr);
        using var report = JsonDocument.Parse(evalOut);
        double evalAccuracy = report.RootElement.GetProperty("accuracy").GetDouble();
        Assert.True(report.RootElement.TryGetProperty("per_class", out _));
        Assert.True(report.RootElement.TryGetProperty("confusion", out _));
        Assert.True(report.RootElement.TryGetProperty("weighted_f1", out _));

        var (pexit, predictOut, predictErr) = CliRunner.Run("predict", model, "--file", PathOf("test.tsv"), "--json");
        Assert.True(pexit == 0, predictErr);
        var predicted = predictOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("label").GetString()).ToArray();
        var truth = File.ReadAllLines(PathOf("test.tsv")).Select(l => l.Split('\t')[0]).ToArray();
        Assert.Equal(truth.Length, predicted.Length);
        double recomputed = truth.Zip(predicted).Count(p => p.First == p.Second) / (double)truth.Length;
        Assert.Equal(evalAccuracy, recomputed, 12);
    }

    [Fact]
    public void Predict_reads_arguments_and_standard_input()
    {
        var model = TrainSmallModel();
        var (exit, stdout, _) = CliRunner.Run("predict", model, "oil barrel crude opec", "--top", "2");
        Assert.Equal(0, exit);
        Assert.StartsWith("__label__crude ", stdout);
        Assert.Equal(4, stdout.Trim().Split(' ').Length); // two labels, two probabilities

        var (exit2, stdout2, _) = CliRunner.RunWithInput("wheat grain harvest\nshares merger bid\n", "predict", model);
        Assert.Equal(0, exit2);
        var lines = stdout2.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("__label__grain", lines[0]);
        Assert.StartsWith("__label__acq", lines[1]);
    }

    [Fact]
    public void A_line_without_a_tab_fails_naming_file_and_line_and_writes_no_model()
    {
        File.WriteAllText(PathOf("bad.tsv"), "crude\toil barrel\ngrain wheat without tab\nacq\tshares\n");
        var model = PathOf("bad.tlm");
        var (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", PathOf("bad.tsv"), "--out", model);
        Assert.Equal(1, exit);
        Assert.Contains("bad.tsv:2", stderr);
        Assert.False(File.Exists(model));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Skip_bad_counts_bad_lines_and_trains_on_the_rest()
    {
        var lines = ToyTopics.Make(60, seed: 3).Examples.Select(e => $"{e.Label}\t{e.Text}").ToList();
        lines.Insert(5, "no tab on this line");
        lines.Insert(9, "crude\t");
        File.WriteAllLines(PathOf("mixed.tsv"), lines);
        var (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", PathOf("mixed.tsv"), "--encoder", "bag",
            "--epochs", "1", "--skip-bad", "--out", PathOf("m.tlm"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("skipped 2 bad lines", stderr);
    }

    [Fact]
    public void Skip_bad_skips_lines_of_invalid_utf8_that_fail_without_it()
    {
        var lines = ToyTopics.Make(60, seed: 3).Examples.Select(e => $"{e.Label}\t{e.Text}\n").ToList();
        byte[] bad = [.. "crude\toil "u8, 0xFF, 0xFE, .. " barrel\n"u8];
        File.WriteAllBytes(PathOf("latin.tsv"), [.. lines.Take(4).SelectMany(System.Text.Encoding.UTF8.GetBytes), .. bad,
            .. lines.Skip(4).SelectMany(System.Text.Encoding.UTF8.GetBytes)]);
        string[] run = ["train", "classify", "--train", PathOf("latin.tsv"), "--encoder", "bag", "--epochs", "1", "--out", PathOf("u.tlm")];
        var (exit, _, stderr) = CliRunner.Run(run);
        Assert.Equal(1, exit);
        Assert.Contains($"{PathOf("latin.tsv")}:5: invalid UTF-8", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("u.tlm")));

        (exit, _, stderr) = CliRunner.Run([.. run, "--skip-bad"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("skipped 1 bad lines", stderr);
        Assert.True(File.Exists(PathOf("u.tlm")));
    }

    [Fact]
    public void Eval_of_a_file_that_is_not_a_model_fails_clearly()
    {
        File.WriteAllText(PathOf("notmodel.tlm"), "hello, I am text");
        ToyTopics.WriteTsv(PathOf("t.tsv"), ToyTopics.Make(3, seed: 4));
        var (exit, _, stderr) = CliRunner.Run("eval", PathOf("notmodel.tlm"), PathOf("t.tsv"));
        Assert.Equal(1, exit);
        Assert.Contains("notmodel.tlm", stderr);
    }

    [Fact]
    public void Unknown_dataset_name_is_a_clear_error()
    {
        var (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", "no-such-dataset", "--out", PathOf("x.tlm"));
        Assert.Equal(1, exit);
        Assert.Contains("not a known dataset", stderr);
    }

    [Fact]
    public void Resuming_from_a_cli_checkpoint_reproduces_the_uninterrupted_model_byte_for_byte()
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(150, seed: 1));
        string[] common = ["train", "classify", "--train", PathOf("train.tsv"), "--encoder", "bilstm", "--vocab", "100", "--embed", "8",
            "--hidden", "6", "--max-len", "12", "--epochs", "2", "--batch", "16", "--warm-start-epochs", "1"];
        var (exit, _, err) = CliRunner.Run([.. common, "--out", PathOf("straight.tlm"), "--checkpoint", PathOf("ckpt.tlm"), "--checkpoint-every", "7"]);
        Assert.True(exit == 0, err);
        Assert.True(File.Exists(PathOf("ckpt.tlm")));

        var (exit2, _, err2) = CliRunner.Run([.. common, "--out", PathOf("resumed.tlm"), "--resume", PathOf("ckpt.tlm")]);
        Assert.True(exit2 == 0, err2);
        Assert.Equal(File.ReadAllBytes(PathOf("straight.tlm")), File.ReadAllBytes(PathOf("resumed.tlm")));

        var (exit3, _, err3) = CliRunner.Run([.. common, "--out", PathOf("x.tlm"), "--resume", PathOf("straight.tlm")]);
        Assert.Equal(1, exit3);
        Assert.Contains("not a training checkpoint", err3);
    }
}
