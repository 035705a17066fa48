using TinyLM.IO;
using TinyLM.Text;

namespace TinyLM.Tests.Cli;

/// <summary>
/// Issue 21: a char-level language model trained by `tinylm train lm --arch llama`, exported with `tinylm export gguf`,
/// generates through `tinylm generate` from the GGUF exactly as from its .tlm (it used to fail with "no BOS").
/// </summary>
[Collection("Serial")]
public sealed class GgufGenerateCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-gguf-gen-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string TrainCharLlama()
    {
        var lines = new List<string>();
        for (int i = 0; i < 200; i++) lines.Add($"ROMEO: the {(i % 2 == 0 ? "cat" : "dog")} sat on mat {i % 5}.");
        File.WriteAllLines(PathOf("text.txt"), lines);
        var (exit, _, stderr) = CliRunner.Run("train", "lm", "--data", PathOf("text.txt"), "--out", PathOf("m.tlm"), "--arch", "llama",
            "--layers", "1", "--embed", "32", "--heads", "2", "--context", "32", "--steps", "30", "--batch", "4", "--warmup", "2",
            "--eval-every", "0", "--eval-batches", "1", "--threads", "1");
        Assert.True(exit == 0, stderr);
        return PathOf("m.tlm");
    }

    private static string Generate(string model)
    {
        var (exit, stdout, stderr) = CliRunner.Run("generate", model, "--prompt", "ROMEO:", "--max-tokens", "20", "--temperature", "0");
        Assert.True(exit == 0, $"generate {model} exited {exit}: {stderr}");
        return stdout;
    }

    [Fact]
    public void A_char_level_model_exported_to_gguf_generates_the_same_greedy_text_as_its_tlm()
    {
        string tlm = TrainCharLlama(), gguf = PathOf("m.gguf");
        var (exit, stdout, stderr) = CliRunner.Run("export", "gguf", tlm, "--out", gguf);
        Assert.True(exit == 0, stderr);
        Assert.Contains("wrote " + gguf, stdout, StringComparison.Ordinal);

        // The GGUF carries the character vocabulary (no BOS/EOS), read back as a char tokenizer, not a llama one.
        var loaded = CausalLMLoader.Load(gguf);
        Assert.IsType<CharTokenizer>(loaded.Tokenizer);
        Assert.Null(loaded.BosId);
        Assert.Equal(CausalLMLoader.Load(tlm).Tokenizer.Encode("ROMEO: the cat"), loaded.Tokenizer.Encode("ROMEO: the cat"));

        string fromTlm = Generate(tlm);
        Assert.StartsWith("ROMEO:", fromTlm, StringComparison.Ordinal);
        Assert.True(fromTlm.TrimEnd('\n').Length > "ROMEO:".Length, fromTlm);
        Assert.Equal(fromTlm, Generate(gguf));
    }

    [Fact]
    public void A_q8_0_char_level_gguf_generates_too()
    {
        string tlm = TrainCharLlama(), gguf = PathOf("m.q8.gguf");
        var (exit, _, stderr) = CliRunner.Run("export", "gguf", tlm, "--out", gguf, "--type", "q8_0");
        Assert.True(exit == 0, stderr);
        string text = Generate(gguf);
        Assert.StartsWith("ROMEO:", text, StringComparison.Ordinal);
        Assert.True(text.TrimEnd('\n').Length > "ROMEO:".Length, text);
    }

    [Fact]
    public void A_character_vocabulary_with_a_repeated_character_is_bad_input_naming_the_file()
    {
        var vocabulary = new GgufVocabulary(["<unk>", "a", "a"], new float[3], [3, 1, 1], null, null, 0, AddBos: false, AddSpacePrefix: false);
        Assert.True(vocabulary.IsCharVocabulary());
        var error = Assert.Throws<ModelFormatException>(() => vocabulary.ToTokenizer("x.gguf"));
        Assert.StartsWith("x.gguf: GGUF character vocabulary:", error.Message, StringComparison.Ordinal);
        Assert.Contains("appears twice", error.Message, StringComparison.Ordinal);
    }
}
