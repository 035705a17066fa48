using System.Text.Json;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

[Collection("Serial")]
public sealed class DistillCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-distill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Teacher()
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(150, seed: 1));
        ToyTopics.WriteTsv(PathOf("test.tsv"), ToyTopics.Make(60, seed: 2));
        var teacher = PathOf("teacher.tlm");
        var (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", PathOf("train.tsv"), "--encoder", "bag", "--vocab", "100",
            "--embed", "32", "--max-len", "16", "--epochs", "8", "--lr", "0.02", "--batch", "16", "--dropout", "0", "--out", teacher);
        Assert.True(exit == 0, stderr);
        return teacher;
    }

    private string[] Distill(string teacher, params string[] extra) =>
        ["distill", "--teacher", teacher, "--data", PathOf("train.tsv"), "--eval", PathOf("test.tsv"), "--student-embed", "4",
            "--student-dropout", "0", "--epochs", "8", "--lr", "0.02", "--batch", "16", "--out", PathOf("student.tlm"), .. extra];

    [Fact]
    public void Distill_reports_teacher_student_and_baseline_measured_in_one_run()
    {
        var teacher = Teacher();
        File.WriteAllLines(PathOf("unlabeled.txt"), ToyTopics.Make(40, seed: 5).Texts);
        var (exit, stdout, stderr) = CliRunner.Run(Distill(teacher, "--unlabeled", PathOf("unlabeled.txt"), "--temperature", "2", "--alpha", "0.7", "--json"));
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        var root = json.RootElement;
        foreach (var name in new[] { "teacher", "before", "after", "baseline" })
            foreach (var key in new[] { "bytes", "parameters", "accuracy", "latency_ms_batch1", "throughput_batch64" })
                Assert.True(root.GetProperty(name).GetProperty(key).ValueKind == JsonValueKind.Number, $"{name}.{key} in {stdout}");
        Assert.Equal(new FileInfo(teacher).Length, root.GetProperty("before").GetProperty("bytes").GetInt64());
        Assert.Equal(new FileInfo(PathOf("student.tlm")).Length, root.GetProperty("after").GetProperty("bytes").GetInt64());
        Assert.True(root.GetProperty("after").GetProperty("parameters").GetInt64() < root.GetProperty("before").GetProperty("parameters").GetInt64());
        Assert.Equal(40, root.GetProperty("unlabeled_texts").GetInt32());
        Assert.True(root.GetProperty("after").GetProperty("accuracy").GetDouble() > 0.9, stdout);
        Assert.False(File.Exists(PathOf("student.tlm.baseline.tmp")));

        // The saved student is an ordinary classifier.
        var (evalExit, evalOut, evalErr) = CliRunner.Run("eval", PathOf("student.tlm"), PathOf("test.tsv"), "--json");
        Assert.True(evalExit == 0, evalErr);
        using var report = JsonDocument.Parse(evalOut);
        Assert.Equal(root.GetProperty("after").GetProperty("accuracy").GetDouble(), report.RootElement.GetProperty("accuracy").GetDouble(), 5);
    }

    [Fact]
    public void Student_vocab_keeps_the_teachers_most_frequent_words_and_writes_a_smaller_file()
    {
        var teacher = Teacher();
        var (exit, stdout, stderr) = CliRunner.Run(Distill(teacher, "--no-baseline", "--json"));
        Assert.True(exit == 0, stderr);
        long whole = new FileInfo(PathOf("student.tlm")).Length;
        using var full = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        long wholeParameters = full.RootElement.GetProperty("after").GetProperty("parameters").GetInt64();
        File.Delete(PathOf("student.tlm"));

        (exit, stdout, stderr) = CliRunner.Run(Distill(teacher, "--no-baseline", "--json", "--student-vocab", "24"));
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        var after = json.RootElement.GetProperty("after");
        Assert.True(new FileInfo(PathOf("student.tlm")).Length < whole, $"{new FileInfo(PathOf("student.tlm")).Length} vs {whole}");
        var student = TinyLM.IO.TextClassifierFile.Load(PathOf("student.tlm"));
        Assert.Equal(24, student.Tokenizer.VocabSize);
        Assert.Equal(24, student.Embedding.Weight.Dim(0));
        Assert.True(after.GetProperty("parameters").GetInt64() < wholeParameters);
        Assert.True(after.GetProperty("accuracy").GetDouble() > 0.8, stdout);

        // A --student model fixes the vocabulary: the two together are a usage error.
        (exit, _, stderr) = CliRunner.Run("distill", "--teacher", teacher, "--data", PathOf("train.tsv"), "--student", PathOf("student.tlm"),
            "--student-vocab", "24", "--out", PathOf("again.tlm"));
        Assert.Equal(2, exit);
        Assert.Contains("drop --student-vocab", stderr);
        Assert.False(File.Exists(PathOf("again.tlm")));
    }

    [Fact]
    public void A_student_model_with_the_teachers_tokenizer_and_labels_is_trained_further()
    {
        var teacher = Teacher();
        var (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", PathOf("train.tsv"), "--encoder", "bag", "--vocab", "100",
            "--embed", "4", "--max-len", "16", "--epochs", "1", "--out", PathOf("start.tlm"));
        Assert.True(exit == 0, stderr);
        string[] args = ["distill", "--teacher", teacher, "--data", PathOf("train.tsv"), "--eval", PathOf("test.tsv"), "--student", PathOf("start.tlm"),
            "--epochs", "8", "--lr", "0.02", "--batch", "16", "--out", PathOf("student.tlm"), "--json"];
        (exit, var stdout, stderr) = CliRunner.Run(args);
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.Equal(json.RootElement.GetProperty("after").GetProperty("parameters").GetInt64(),
            json.RootElement.GetProperty("baseline").GetProperty("parameters").GetInt64());
        Assert.True(json.RootElement.GetProperty("after").GetProperty("accuracy").GetDouble() >= 0.85, stdout);
    }

    [Theory]
    [InlineData("--temperature", "0", "--temperature must be > 0")]
    [InlineData("--temperature", "-2", "--temperature must be > 0")]
    [InlineData("--alpha", "1.5", "--alpha must be in [0, 1]")]
    [InlineData("--alpha", "-0.1", "--alpha must be in [0, 1]")]
    [InlineData("--student-vocab", "2", "--student-vocab must be ≥ 3")]
    public void Bad_settings_fail_with_a_clear_message_and_write_nothing(string option, string value, string message)
    {
        var teacher = Teacher();
        var (exit, _, stderr) = CliRunner.Run(Distill(teacher, option, value));
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr);
        Assert.False(File.Exists(PathOf("student.tlm")));
    }

    [Fact]
    public void Bad_inputs_fail_with_a_clear_message_and_write_nothing()
    {
        var teacher = Teacher();
        File.WriteAllText(PathOf("empty.tsv"), "");
        var (exit, _, stderr) = CliRunner.Run("distill", "--teacher", teacher, "--data", PathOf("empty.tsv"), "--out", PathOf("student.tlm"));
        Assert.NotEqual(0, exit);
        Assert.Contains("empty.tsv", stderr);

        File.WriteAllText(PathOf("blank.txt"), "\n  \n");
        (exit, _, stderr) = CliRunner.Run(Distill(teacher, "--unlabeled", PathOf("blank.txt")));
        Assert.NotEqual(0, exit);
        Assert.Contains("holds no text", stderr);

        // A --student whose label set differs from the teacher's.
        ToyTopics.WriteTsv(PathOf("two.tsv"), new TinyLM.Text.TextDataset("two.tsv", [.. ToyTopics.Make(150, seed: 1).Examples.Where(e => e.Label != "acq")]));
        (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", PathOf("two.tsv"), "--encoder", "bag", "--vocab", "100", "--epochs", "1", "--out", PathOf("other.tlm"));
        Assert.True(exit == 0, stderr);
        (exit, _, stderr) = CliRunner.Run("distill", "--teacher", teacher, "--data", PathOf("train.tsv"), "--student", PathOf("other.tlm"),
            "--out", PathOf("student.tlm"));
        Assert.Equal(1, exit);
        Assert.Contains("label sets differ", stderr);
        (exit, _, stderr) = CliRunner.Run(Distill(teacher, "--student", PathOf("other.tlm")));
        Assert.Equal(2, exit);
        Assert.Contains("drop --student-embed", stderr);

        (exit, _, stderr) = CliRunner.Run("distill", "--teacher", teacher, "--data", PathOf("train.tsv"), "--out", teacher);
        Assert.Equal(2, exit);
        Assert.Contains("is the teacher model", stderr);
        Assert.False(File.Exists(PathOf("student.tlm")));
    }
}
