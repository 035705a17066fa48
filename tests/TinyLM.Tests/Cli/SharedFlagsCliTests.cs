using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

/// <summary>Issue 21, item 6: the shared flags where they were missing (export onnx --threads, bench generate --threads, train translate --skip-bad).</summary>
[Collection("Serial")]
public sealed class SharedFlagsCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-flags-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Export_onnx_takes_threads_and_refuses_zero_as_a_usage_error()
    {
        TextClassifier.Create(new TextClassifierConfig { Encoder = EncoderKind.Bag, VocabSize = 50, EmbedDim = 6, MaxLength = 30 },
            ToyTopics.Make(30, seed: 21).Examples).Save(PathOf("m.tlm"));
        var (exit, stdout, stderr) = CliRunner.Run("export", "onnx", PathOf("m.tlm"), "--out", PathOf("m.onnx"), "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.True(File.Exists(PathOf("m.onnx")), stdout);

        (exit, _, stderr) = CliRunner.Run("export", "onnx", PathOf("m.tlm"), "--out", PathOf("z.onnx"), "--threads", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--threads must be ≥ 1", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("z.onnx")));
    }

    [Fact]
    public void Bench_generate_takes_threads_and_refuses_zero_as_a_usage_error()
    {
        var (exit, _, stderr) = CliRunner.Run("bench", "generate", "--threads", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--threads must be at least 1", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = CliRunner.Run("bench", "generate", "--threads", "many");
        Assert.Equal(2, exit);
        Assert.Contains("--threads: 'many' is not valid; expected a whole number.", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_translate_skip_bad_skips_and_counts_the_bad_lines_that_fail_without_it()
    {
        var lines = Enumerable.Range(0, 12).Select(i => i % 2 == 0 ? "ein hund\ta dog" : "eine katze\ta cat").ToList();
        lines.Insert(3, "kein tab hier");
        File.WriteAllLines(PathOf("pairs.tsv"), lines);
        string[] run = ["train", "translate", "--src", PathOf("pairs.tsv"), "--out", PathOf("mt.tlm"), "--arch", "rnn", "--embed", "8",
                        "--hidden", "8", "--vocab", "262", "--epochs", "1", "--threads", "1"];

        var (exit, _, stderr) = CliRunner.Run(run);
        Assert.Equal(1, exit);
        Assert.Contains(PathOf("pairs.tsv") + ":4:", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("mt.tlm")));

        (exit, _, stderr) = CliRunner.Run([.. run, "--skip-bad"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"skipped 1 bad lines in {PathOf("pairs.tsv")} (--skip-bad)", stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(PathOf("mt.tlm")));
    }
}
