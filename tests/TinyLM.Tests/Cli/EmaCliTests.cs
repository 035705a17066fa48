using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

[Collection("Serial")]
public sealed class EmaCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-ema-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Resuming_an_ema_run_from_a_cli_checkpoint_reproduces_the_uninterrupted_model_byte_for_byte()
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(150, seed: 1));
        string[] common = ["train", "classify", "--train", PathOf("train.tsv"), "--encoder", "bilstm", "--vocab", "100", "--embed", "8",
            "--hidden", "6", "--max-len", "12", "--epochs", "2", "--batch", "16", "--warm-start-epochs", "1", "--ema", "0.9"];
        var (exit, _, err) = CliRunner.Run([.. common, "--out", PathOf("straight.tlm"), "--checkpoint", PathOf("ckpt.tlm"), "--checkpoint-every", "7"]);
        Assert.True(exit == 0, err);

        var (exit2, _, err2) = CliRunner.Run([.. common, "--out", PathOf("resumed.tlm"), "--resume", PathOf("ckpt.tlm")]);
        Assert.True(exit2 == 0, err2);
        Assert.Equal(File.ReadAllBytes(PathOf("straight.tlm")), File.ReadAllBytes(PathOf("resumed.tlm")));

        // Averaging changes the saved weights.
        var (exit3, _, err3) = CliRunner.Run([.. common[..^2], "--ema", "0", "--out", PathOf("plain.tlm")]);
        Assert.True(exit3 == 0, err3);
        Assert.NotEqual(File.ReadAllBytes(PathOf("straight.tlm")), File.ReadAllBytes(PathOf("plain.tlm")));
    }

    [Fact]
    public void An_ema_decay_of_one_is_a_usage_error()
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(30, seed: 1));
        var (exit, _, err) = CliRunner.Run("train", "classify", "--train", PathOf("train.tsv"), "--encoder", "bag", "--ema", "1", "--out", PathOf("x.tlm"));
        Assert.NotEqual(0, exit);
        Assert.Contains("average decay", err);
        Assert.False(File.Exists(PathOf("x.tlm")));
    }
}
