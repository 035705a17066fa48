using TinyLM.Tests.Text;

namespace TinyLM.Tests.Cli;

/// <summary><c>train translate --checkpoint … --resume</c>: a run continued from its checkpoint writes the same model file.</summary>
public class TranslateResumeCliTests
{
    [Fact]
    public void Resumed_run_writes_the_same_model_bytes_as_the_uninterrupted_one()
    {
        using var dir = new TempDir();
        string Path(string name) => System.IO.Path.Combine(dir.Path, name);
        string[] de = ["ein hund", "eine katze", "ein haus", "ein baum", "der mann", "die frau"];
        string[] en = ["a dog", "a cat", "a house", "a tree", "the man", "the woman"];
        File.WriteAllLines(Path("pairs.tsv"), Enumerable.Range(0, 60).Select(i => $"{de[i % 6]}\t{en[i % 6]}"));
        string[] common = ["train", "translate", "--src", Path("pairs.tsv"), "--valid-src", Path("pairs.tsv"), "--arch", "transformer",
            "--embed", "16", "--hidden", "32", "--heads", "2", "--layers", "1", "--vocab", "262", "--epochs", "3", "--batch-tokens", "64"];

        var straight = CliRunner.Run([.. common, "--out", Path("straight.tlm"), "--checkpoint", Path("ckpt.tlm"), "--checkpoint-every", "5"]);
        Assert.True(straight.Exit == 0, straight.Err);
        Assert.True(File.Exists(Path("ckpt.tlm")), "no checkpoint was written");
        var resumed = CliRunner.Run([.. common, "--out", Path("resumed.tlm"), "--resume", Path("ckpt.tlm")]);
        Assert.True(resumed.Exit == 0, resumed.Err);
        Assert.Equal(File.ReadAllBytes(Path("straight.tlm")), File.ReadAllBytes(Path("resumed.tlm")));
    }
}
