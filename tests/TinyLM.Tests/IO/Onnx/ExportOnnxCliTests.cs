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
        Assert.Equal("classifier", json.GetProperty("kind").GetString());
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
        // A model kind the exporter does not take: refused by name, nothing written.
        var image = new ImageClassifier(new ImageClassifierConfig { Height = 8, Width = 8, Classes = 2, Width1 = 2, Width2 = 2 }, ["a", "b"]);
        image.Save(dir.File("image.tlm"));
        (exit, _, stderr) = CliRunner.Run("export", "onnx", dir.File("image.tlm"), "--out", onnx);
        Assert.Equal(1, exit);
        Assert.Contains("image-classifier", stderr, StringComparison.Ordinal);
        // A quantized LM is refused rather than exported as a different (float) model.
        var lm = LlamaFixtures.TinyWeights(LlamaFixtures.Tokenizer().VocabSize);
        var quantized = TinyLM.Compression.CausalLMQuantizer.Quantize(new TokenizedCausalLM(LlamaConversion.ToModel(lm), LlamaFixtures.Tokenizer()),
            new TinyLM.Compression.CausalLMQuantizationOptions { MaxLayerError = double.PositiveInfinity }).Model;
        quantized.Save(dir.File("q8.tlm"));
        (exit, _, stderr) = CliRunner.Run("export", "onnx", dir.File("q8.tlm"), "--out", onnx);
        Assert.Equal(1, exit);
        Assert.Contains("quantized", stderr, StringComparison.Ordinal);
        // --tokenizer belongs to llama2.c checkpoints; with a .tlm it is an error, as for generate.
        (exit, _, stderr) = CliRunner.Run("export", "onnx", modelPath, "--out", onnx, "--tokenizer", dir.File("image.tlm"));
        Assert.NotEqual(0, exit);
        Assert.False(File.Exists(onnx));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        // --out equal to the model would overwrite the only copy: refused before anything is read or written.
        byte[] before = File.ReadAllBytes(modelPath);
        (exit, _, stderr) = CliRunner.Run("export", "onnx", modelPath, "--out", modelPath);
        Assert.Equal(2, exit);
        Assert.Contains("input model", stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(modelPath));
    }

    [Fact]
    public void Export_onnx_writes_a_causal_lm_that_greedy_decodes_as_ours()
    {
        using var dir = new ScratchDir();
        var tokenizer = LlamaFixtures.Tokenizer();
        string modelPath = dir.File("lm.tlm"), onnx = dir.File("lm.onnx");
        var model = OnnxLm.Spread(LlamaConversion.ToModel(LlamaFixtures.TinyWeights(tokenizer.VocabSize)), 4);
        new TokenizedCausalLM(model, tokenizer).Save(modelPath);
        var (exit, stdout, stderr) = CliRunner.Run("export", "onnx", modelPath, "--out", onnx, "--json");
        Assert.True(exit == 0, stderr);
        var json = DocumentedJson.Of("export onnx").Check(JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement);
        Assert.Equal("causal-lm", json.GetProperty("kind").GetString());
        Assert.Equal("present.1.value", json.GetProperty("outputs").EnumerateArray().Last().GetString());
        Assert.Equal(0, json.GetProperty("labels").GetArrayLength());
        var loaded = CausalLMFile.Load(modelPath).Model;
        int[] prompt = [1, .. tokenizer.Encode("the cat")];
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
        Assert.Equal(OnnxLm.GreedyOurs(loaded, prompt, 16).Tokens, OnnxLm.GreedyOnnx(session, loaded.Config, prompt, 16).Tokens);
        // A GGUF goes through the same loader as `generate`.
        LlamaModelFiles.ExportGguf(new TokenizedCausalLM(loaded, tokenizer), dir.File("lm.gguf"));
        (exit, _, stderr) = CliRunner.Run("export", "onnx", dir.File("lm.gguf"), "--out", dir.File("gguf.onnx"));
        Assert.True(exit == 0, stderr);
        Assert.True(new FileInfo(dir.File("gguf.onnx")).Length > 4 * model.Parameters().Sum(p => (long)p.Length));
    }
}
