using System.Text.Json;

namespace TinyLM.Tests.Cli;

[Collection("Serial")]
public sealed class DistillCausalLMCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-lmdistill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    // A small char-level teacher on a repetitive text (a few seconds of training).
    private string Teacher()
    {
        var lines = new List<string>();
        for (int i = 0; i < 300; i++) lines.Add($"the {(i % 3 == 0 ? "cat" : i % 3 == 1 ? "dog" : "bird")} sat on mat {i % 7}.");
        File.WriteAllLines(PathOf("text.txt"), lines);
        var teacher = PathOf("teacher.tlm");
        var (exit, _, stderr) = CliRunner.Run("train", "lm", "--data", PathOf("text.txt"), "--out", teacher, "--layers", "2", "--embed", "32",
            "--heads", "2", "--context", "16", "--steps", "40", "--batch", "8", "--lr", "3e-3", "--warmup", "5", "--eval-every", "0", "--eval-batches", "2");
        Assert.True(exit == 0, stderr);
        return teacher;
    }

    [Fact]
    public void Distilling_a_language_model_reports_teacher_student_and_baseline_in_one_run()
    {
        var teacher = Teacher();
        var (exit, stdout, stderr) = CliRunner.Run("distill", "--teacher", teacher, "--data", PathOf("text.txt"), "--student-layers", "1",
            "--student-embed", "16", "--steps", "20", "--batch", "4", "--temperature", "2", "--alpha", "0.5", "--out", PathOf("student.tlm"), "--json");
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        var root = json.RootElement;
        foreach (var name in new[] { "teacher", "before", "after", "baseline" })
            foreach (var key in new[] { "bytes", "parameters", "val_loss", "latency_ms_batch1", "throughput_batch64" })
                Assert.True(root.GetProperty(name).GetProperty(key).ValueKind == JsonValueKind.Number, $"{name}.{key} in {stdout}");
        Assert.Equal("causal_lm", root.GetProperty("kind").GetString());
        Assert.Equal(new FileInfo(teacher).Length, root.GetProperty("before").GetProperty("bytes").GetInt64());
        Assert.Equal(new FileInfo(PathOf("student.tlm")).Length, root.GetProperty("after").GetProperty("bytes").GetInt64());
        Assert.True(root.GetProperty("after").GetProperty("parameters").GetInt64() * 5 < root.GetProperty("before").GetProperty("parameters").GetInt64());
        Assert.True(root.GetProperty("cache_bytes").GetInt64() > 0 && root.GetProperty("windows").GetInt32() > 0, stdout);
        Assert.False(File.Exists(PathOf("student.tlm.baseline.tmp")));

        // The student is an ordinary language model.
        var (genExit, _, genErr) = CliRunner.Run("generate", PathOf("student.tlm"), "--prompt", "the ", "--max-tokens", "5", "--temperature", "0");
        Assert.True(genExit == 0, genErr);
    }

    [Fact]
    public void Bad_language_model_settings_fail_clearly_and_write_nothing()
    {
        var teacher = Teacher();
        string[] common = ["distill", "--teacher", teacher, "--data", PathOf("text.txt"), "--steps", "2", "--out", PathOf("student.tlm")];

        var (exit, _, stderr) = CliRunner.Run([.. common, "--student-encoder", "bag"]);
        Assert.Equal(2, exit);
        Assert.Contains("--student-encoder applies to classifier teachers", stderr);

        (exit, _, stderr) = CliRunner.Run([.. common, "--student-embed", "30", "--student-heads", "4"]);
        Assert.Equal(2, exit);
        Assert.Contains("student:", stderr);

        // A student whose vocabulary differs from the teacher's (trained on other text).
        File.WriteAllText(PathOf("other.txt"), string.Concat(Enumerable.Repeat("xyzzy plugh 0123456789 ", 200)));
        (exit, _, stderr) = CliRunner.Run("train", "lm", "--data", PathOf("other.txt"), "--out", PathOf("other.tlm"), "--layers", "1", "--embed", "16",
            "--heads", "2", "--context", "16", "--steps", "1", "--batch", "2", "--eval-every", "0", "--eval-batches", "1");
        Assert.True(exit == 0, stderr);
        (exit, _, stderr) = CliRunner.Run([.. common, "--student", PathOf("other.tlm")]);
        Assert.Equal(1, exit);
        Assert.Contains("differ", stderr);
        Assert.False(File.Exists(PathOf("student.tlm")));
    }
}
