using System.Text.Json;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Cli;
using TinyLM.Tests.IO.Llama;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.IO.Onnx;

/// <summary><c>tinylm export onnx</c>: the documented --json line, a file ONNX Runtime runs as ours, and clear failures.</summary>
public class ExportOnnxCliTests
{
    private static TextClassifier SavedClassifier(string path)
    {
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.BiGru, VocabSize = 50, EmbedDim = 6, Hidden = 4, MaxLength = 30, Dropout = 0f,
        }, ToyTopics.Make(30, seed: 21).Examples);
        model.Save(path);
        return model;
    }

    [Fact]
    public void Export_onnx_writes_a_file_onnx_runtime_runs_as_the_model()
    {
        using var dir = new ScratchDir();
        string modelPath = dir.File("model.tlm"), onnx = dir.File("model.onnx");
        var model = SavedClassifier(modelPath);
        var (exit, stdout, stderr) = CliRunner.Run("export", "onnx", modelPath, "--out", onnx, "--json");
        Assert.True(exit == 0, stderr);
        var json = DocumentedJson.Of("export onnx").Check(JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement);
        Assert.Equal(new FileInfo(onnx).Length, json.GetProperty("bytes").GetInt64());
        Assert.Equal(17, json.GetProperty("opset").GetInt32());
        Assert.Equal(model.Labels.Labels, json.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var loaded = TextClassifierFile.Load(modelPath);
        var batch = OnnxParity.Batch(loaded, OnnxParity.Texts(3));
        var diff = OnnxParity.MaxAbsDiff(OnnxParity.RunOnnx(onnx, batch).Probabilities, OnnxParity.RunOurs(loaded, batch).Probabilities);
        Assert.InRange(diff, 0f, OnnxParity.Tolerance);
    }

    [Fact]
    public void Bad_input_fails_clearly_and_writes_nothing()
    {
        using var dir = new ScratchDir();
        string modelPath = dir.File("model.tlm"), onnx = dir.File("model.onnx");
        SavedClassifier(modelPath);
        var (exit, _, stderr) = CliRunner.Run("export", "onnx", modelPath, "--out", onnx, "--opset", "12");
        Assert.Equal(2, exit);
        Assert.Contains("--opset", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = CliRunner.Run("export", "onnx", modelPath, "--out", Path.Combine(dir.Path, "missing", "model.onnx"));
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
        File.WriteAllBytes(dir.File("broken.tlm"), File.ReadAllBytes(modelPath)[..100]);
        Assert.Equal(1, CliRunner.Run("export", "onnx", dir.File("broken.tlm"), "--out", onnx).Exit);
        var chars = TinyLM.Text.CharTokenizer.Fit("abcdefghijklmnopqrs");
        var lm = new CausalLM(new CausalLMConfig { VocabSize = chars.VocabSize, ContextLength = 8, Layers = 1, Heads = 2, EmbedDim = 8 });
        string lmPath = dir.File("lm.tlm");
        CausalLMFile.Save(new TokenizedCausalLM(lm, chars), lmPath);
        (exit, _, stderr) = CliRunner.Run("export", "onnx", lmPath, "--out", onnx);
        Assert.Equal(1, exit);
        Assert.Contains("causal-lm", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(onnx));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        // --out equal to the model would overwrite the only copy: refused before anything is read or written.
        byte[] before = File.ReadAllBytes(modelPath);
        (exit, _, stderr) = CliRunner.Run("export", "onnx", modelPath, "--out", modelPath);
        Assert.Equal(2, exit);
        Assert.Contains("input model", stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(modelPath));
    }
}
