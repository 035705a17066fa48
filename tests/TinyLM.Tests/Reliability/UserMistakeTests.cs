using TinyLM.Tests.Cli;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.Reliability;

/// <summary>Issue 16's smaller findings: a folder given as a model or data file, and far more threads than cores.</summary>
[Collection("Serial")]
public sealed class UserMistakeTests
{
    [Fact]
    public void A_folder_given_as_a_model_says_it_is_a_folder_not_that_it_is_missing()
    {
        using var dir = new TempDir();
        var (exit, _, err) = CliRunner.Run("predict", dir.Path, "some text");
        Assert.Equal(1, exit);
        Assert.Contains($"{dir.Path}: is a folder, not a model file", err);
    }

    [Fact]
    public void A_folder_given_as_training_text_says_it_is_a_folder()
    {
        using var dir = new TempDir();
        var (exit, _, err) = CliRunner.Run("train", "lm", "--data", dir.Path, "--steps", "1", "--out", Path.Combine(dir.Path, "m.tlm"));
        Assert.Equal(1, exit);
        Assert.Contains($"{dir.Path}: is a folder, not a data file", err);
    }

    [Fact]
    public void More_threads_than_cores_uses_the_cores_and_says_so()
    {
        using var dir = new TempDir();
        Models.ToyTopics.WriteTsv(Path.Combine(dir.Path, "t.tsv"), Models.ToyTopics.Make(30, seed: 1));
        var (exit, _, err) = CliRunner.Run("train", "classify", "--train", Path.Combine(dir.Path, "t.tsv"), "--encoder", "bag", "--embed", "4", "--epochs", "1",
            "--threads", "1000", "--out", Path.Combine(dir.Path, "m.tlm"));
        Assert.True(exit == 0, err);
        Assert.Contains($"--threads 1000: this machine has {Environment.ProcessorCount} cores; using {Environment.ProcessorCount}.", err);
    }
}
