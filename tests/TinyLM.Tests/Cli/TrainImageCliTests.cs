using System.Text.Json;
using TinyLM.IO;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.Cli;

/// <summary><c>tinylm train image</c> and <c>eval</c> on a tiny synthetic IDX set (no real data needed).</summary>
public sealed class TrainImageCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-image-cli-").FullName;

    public TrainImageCliTests()
    {
        IdxTestFiles.WriteToySet(_dir, "train", 120, 8, 4, seed: 1, gzip: true);
        IdxTestFiles.WriteToySet(_dir, "t10k", 40, 8, 4, seed: 2, gzip: false);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Trains_saves_reports_json_and_evaluates()
    {
        string model = Path.Combine(_dir, "m.tlm");
        var run = CliRunner.Run("train", "image", "--train", _dir, "--test", _dir, "--epochs", "3", "--batch", "16", "--width1", "4", "--width2", "8",
            "--out", model, "--json", "--threads", "1");
        Assert.True(run.Exit == 0, run.Err);
        var json = DocumentedJson.Of("train image").Check(JsonDocument.Parse(run.Out.TrimEnd().Split('\n')[^1]).RootElement.Clone());
        Assert.InRange(json.GetProperty("test_accuracy").GetDouble(), 0.9, 1.0);
        Assert.Equal(120, json.GetProperty("train_images").GetInt32());
        Assert.Equal(24, json.GetProperty("steps").GetInt64());
        Assert.Contains("epoch 3/3", run.Err);
        Assert.Equal(ModelKind.ImageClassifier, ModelFile.Load(model).Kind);

        var eval = CliRunner.Run("eval", model, Path.Combine(_dir, "t10k-images-idx3-ubyte"), "--json");
        Assert.True(eval.Exit == 0, eval.Err);
        using var report = JsonDocument.Parse(eval.Out);
        Assert.Equal(json.GetProperty("test_accuracy").GetDouble(), report.RootElement.GetProperty("accuracy").GetDouble(), 6);
    }

    [Fact]
    public void Bad_input_fails_clearly_and_writes_nothing()
    {
        string model = Path.Combine(_dir, "bad.tlm");
        // Truncated test images: the file is named, exit code 1, no model written.
        byte[] images = File.ReadAllBytes(Path.Combine(_dir, "t10k-images-idx3-ubyte"));
        string cutDir = Directory.CreateDirectory(Path.Combine(_dir, "cut")).FullName;
        File.WriteAllBytes(Path.Combine(cutDir, "t10k-images-idx3-ubyte"), images[..^100]);
        File.Copy(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), Path.Combine(cutDir, "t10k-labels-idx1-ubyte"));
        var run = CliRunner.Run("train", "image", "--train", _dir, "--test", cutDir, "--epochs", "1", "--out", model);
        Assert.Equal(1, run.Exit);
        Assert.Contains(Path.Combine(cutDir, "t10k-images-idx3-ubyte"), run.Err);
        Assert.Contains("truncated", run.Err);
        Assert.False(File.Exists(model));

        // Labels missing beside the images.
        string lonely = Directory.CreateDirectory(Path.Combine(_dir, "lonely")).FullName;
        File.Copy(Path.Combine(_dir, "t10k-images-idx3-ubyte"), Path.Combine(lonely, "train-images-idx3-ubyte"));
        run = CliRunner.Run("train", "image", "--train", lonely, "--out", model);
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("no labels file", run.Err);

        // Images of another size than the training set's.
        string other = Directory.CreateDirectory(Path.Combine(_dir, "other")).FullName;
        IdxTestFiles.WriteToySet(other, "t10k", 8, 12, 4, seed: 3, gzip: false);
        run = CliRunner.Run("train", "image", "--train", _dir, "--test", other, "--out", model);
        Assert.Equal(1, run.Exit);
        Assert.Contains("1×12×12, the model takes 1×8×8", run.Err);
        Assert.False(File.Exists(model));

        Assert.Equal(2, CliRunner.Run("train", "image", "--train", _dir, "--arch", "resnet", "--out", model).Exit);
    }
}
