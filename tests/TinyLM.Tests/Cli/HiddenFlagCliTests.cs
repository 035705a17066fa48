using TinyLM.IO;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

/// <summary>--hidden reaches every encoder that has a hidden width, and a warning says it is ignored where none exists (it was silently ignored).</summary>
[Collection("Serial")]
public sealed class HiddenFlagCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-hidden-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private (int Exit, string Err) Train(string encoder, string hidden, string output)
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(40, seed: 1));
        var (exit, _, err) = CliRunner.Run("train", "classify", "--train", PathOf("train.tsv"), "--encoder", encoder, "--vocab", "60", "--embed", "8",
            "--hidden", hidden, "--max-len", "10", "--epochs", "1", "--warm-start-epochs", "0", "--out", PathOf(output));
        return (exit, err);
    }

    [Fact]
    public void The_transformers_hidden_is_its_mlp_width()
    {
        var (exit, err) = Train("transformer", "24", "t.tlm");
        Assert.True(exit == 0, err);
        var config = TextClassifierFile.Load(PathOf("t.tlm")).Config;
        Assert.Equal(24, config.ResolvedMlpHidden);
        Assert.Equal(8, config.EmbedDim);
    }

    [Fact]
    public void A_recurrent_encoder_takes_it_as_its_width()
    {
        var (exit, err) = Train("bigru", "6", "g.tlm");
        Assert.True(exit == 0, err);
        Assert.Equal(6, TextClassifierFile.Load(PathOf("g.tlm")).Config.Hidden);
    }

    [Fact]
    public void The_bag_has_no_hidden_width_and_says_so()
    {
        var (exit, err) = Train("bag", "32", "b.tlm");
        Assert.True(exit == 0, err);
        Assert.Contains("warning: --hidden does not apply to the bag encoder", err);
        Assert.True(File.Exists(PathOf("b.tlm")));
    }
}
