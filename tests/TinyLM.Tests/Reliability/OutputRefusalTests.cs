using TinyLM.Tests.Cli;
using TinyLM.Tests.Models;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// Issue 16, "never overwrite an input, never lose a run": every verb that writes a file refuses an output that is one
/// of its inputs or cannot be written, before any work, and leaves the input byte for byte as it was.
/// </summary>
[Collection("Serial")]
public sealed class OutputRefusalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string PathOf(string name) => Path.Combine(_dir.Path, name);

    private string Topics()
    {
        ToyTopics.WriteTsv(PathOf("train.tsv"), ToyTopics.Make(120, seed: 1));
        return PathOf("train.tsv");
    }

    private string Text()
    {
        File.WriteAllLines(PathOf("text.txt"), Enumerable.Range(0, 100).Select(i => $"the {(i % 2 == 0 ? "cat" : "dog")} sat on mat {i % 5}."));
        return PathOf("text.txt");
    }

    private string Pairs()
    {
        string[] de = ["ein hund", "eine katze", "ein haus"], en = ["a dog", "a cat", "a house"];
        File.WriteAllLines(PathOf("pairs.tsv"), Enumerable.Range(0, 30).Select(i => $"{de[i % 3]}\t{en[i % 3]}"));
        return PathOf("pairs.tsv");
    }

    private static string[] TrainClassify(string data, string output) =>
        ["train", "classify", "--train", data, "--encoder", "bag", "--embed", "8", "--epochs", "1", "--out", output];

    private static string[] TrainLm(string data, string output) =>
        ["train", "lm", "--data", data, "--layers", "1", "--embed", "16", "--heads", "2", "--context", "16", "--steps", "2", "--batch", "2",
         "--eval-every", "0", "--out", output];

    private static string[] TrainTranslate(string data, string output) =>
        ["train", "translate", "--src", data, "--embed", "16", "--hidden", "16", "--heads", "2", "--layers", "1", "--epochs", "1", "--out", output];

    // Runs the command and asserts the refusal: usage exit code, the message names the file, the file is unchanged.
    private static void AssertRefusedAndUntouched(string file, string[] args)
    {
        byte[] before = File.ReadAllBytes(file);
        var (exit, _, err) = CliRunner.Run(args);
        Assert.True(exit == 2, $"exit {exit}: {err}");
        Assert.Contains(file, err);
        Assert.Contains("inputs are never modified", err);
        Assert.Equal(before, File.ReadAllBytes(file));
    }

    [Fact]
    public void Train_classify_refuses_to_write_over_its_training_data() =>
        AssertRefusedAndUntouched(Topics(), TrainClassify(PathOf("train.tsv"), PathOf("train.tsv")));

    [Fact]
    public void Train_lm_refuses_to_write_over_its_training_text() =>
        AssertRefusedAndUntouched(Text(), TrainLm(PathOf("text.txt"), PathOf("text.txt")));

    [Fact]
    public void Train_translate_refuses_to_write_over_its_corpus() =>
        AssertRefusedAndUntouched(Pairs(), TrainTranslate(PathOf("pairs.tsv"), PathOf("pairs.tsv")));

    [Fact]
    public void A_symbolic_link_to_the_data_is_the_data()
    {
        string data = Topics();
        File.CreateSymbolicLink(PathOf("link.tsv"), data);
        byte[] before = File.ReadAllBytes(data);
        var (exit, _, err) = CliRunner.Run(TrainClassify(data, PathOf("link.tsv")));
        Assert.True(exit == 2, err);
        Assert.Equal(before, File.ReadAllBytes(data));
    }

    [Fact]
    public void Export_gguf_refuses_to_write_over_its_input_model()
    {
        var (trained, _, err) = CliRunner.Run(["train", "lm", "--data", Text(), "--arch", "llama", "--layers", "1", "--embed", "16", "--heads", "2",
            "--context", "16", "--steps", "1", "--batch", "2", "--eval-every", "0", "--out", PathOf("lm.tlm")]);
        Assert.True(trained == 0, err);
        AssertRefusedAndUntouched(PathOf("lm.tlm"), ["export", "gguf", PathOf("lm.tlm"), "--out", PathOf("lm.tlm")]);
    }

    [Fact]
    public void A_folder_as_out_is_refused_before_training_and_writes_nothing()
    {
        string data = Topics();
        Directory.CreateDirectory(PathOf("models"));
        var (exit, _, err) = CliRunner.Run(TrainClassify(data, PathOf("models")));
        Assert.True(exit == 2, err);
        Assert.Contains("is a folder", err);
        Assert.DoesNotContain("epoch", err); // refused before the first epoch, not after it
        Assert.Empty(Directory.EnumerateFileSystemEntries(PathOf("models")));
    }

    [Fact]
    public void An_out_under_a_place_no_file_can_be_created_is_refused_before_training()
    {
        if (!OperatingSystem.IsLinux()) return; // /proc refuses new files even to root; other systems have no such folder
        var (exit, _, err) = CliRunner.Run(TrainLm(Text(), "/proc/tinylm-no-such-folder/model.tlm"));
        Assert.True(exit == 1, err);
        Assert.Contains("cannot write in /proc", err);
        Assert.DoesNotContain("train_loss", err);
    }

    [Fact]
    public void Out_in_a_missing_folder_is_still_allowed_and_created()
    {
        var (exit, _, err) = CliRunner.Run(TrainClassify(Topics(), PathOf("new/sub/model.tlm")));
        Assert.True(exit == 0, err);
        Assert.True(File.Exists(PathOf("new/sub/model.tlm")));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp", SearchOption.AllDirectories)); // the writability probe is gone
    }

    [Fact]
    public void Quantize_with_an_evaluation_file_of_other_labels_fails_and_leaves_no_output()
    {
        var (trained, _, err) = CliRunner.Run(TrainClassify(Topics(), PathOf("model.tlm")));
        Assert.True(trained == 0, err);
        File.WriteAllLines(PathOf("other.tsv"), ["sports\tthe team won the cup", "weather\train all day"]);
        var (exit, _, qerr) = CliRunner.Run("quantize", PathOf("model.tlm"), "--out", PathOf("q.tlm"), "--eval", PathOf("other.tsv"));
        Assert.True(exit == 1, qerr);
        Assert.Contains("other.tsv:1", qerr);
        Assert.False(File.Exists(PathOf("q.tlm")));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [Fact]
    public void Resume_with_flags_that_contradict_the_checkpoint_is_refused_naming_them()
    {
        string data = Topics();
        string[] run = [.. TrainClassify(data, PathOf("a.tlm")), "--checkpoint", PathOf("ckpt.tlm"), "--checkpoint-every", "1"];
        var (trained, _, err) = CliRunner.Run(run);
        Assert.True(trained == 0, err);

        var (exit, _, rerr) = CliRunner.Run(["train", "classify", "--train", data, "--encoder", "cnn", "--embed", "12", "--epochs", "1",
            "--out", PathOf("b.tlm"), "--resume", PathOf("ckpt.tlm")]);
        Assert.True(exit == 2, rerr);
        Assert.Contains("--encoder Cnn (the checkpoint has Bag)", rerr);
        Assert.Contains("--embed", rerr);
        Assert.False(File.Exists(PathOf("b.tlm")));

        // The same flags as the checkpoint's run resume.
        var (same, _, serr) = CliRunner.Run([.. TrainClassify(data, PathOf("c.tlm")), "--resume", PathOf("ckpt.tlm")]);
        Assert.True(same == 0, serr);
    }

    [Fact]
    public void Resume_of_a_language_model_with_another_width_is_refused()
    {
        string text = Text();
        var (trained, _, err) = CliRunner.Run([.. TrainLm(text, PathOf("a.tlm")), "--checkpoint", PathOf("ckpt.tlm"), "--checkpoint-every", "1"]);
        Assert.True(trained == 0, err);
        string[] wider = [.. TrainLm(text, PathOf("b.tlm")).Select(a => a == "16" ? "32" : a), "--resume", PathOf("ckpt.tlm")];
        var (exit, _, rerr) = CliRunner.Run(wider);
        Assert.True(exit == 2, rerr);
        Assert.Contains("--embed 32 (the checkpoint has 16)", rerr);
        Assert.Contains("--context 32 (the checkpoint has 16)", rerr);
    }
}
