using TinyLM.Tests.Cli;
using TinyLM.IO;
using TinyLM.Text;

namespace TinyLM.Tests.IO.Llama;

public class ExportCliTests
{
    // Through CliRunner: it holds the lock that keeps parallel tests from swapping the console under each other.
    private static int Tinylm(params string[] args) => CliRunner.Run(args).Exit;

    [Fact]
    public void ExportGguf_FromLlama2cCheckpoint_WritesReadableFile()
    {
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        LlamaWeights w = LlamaFixtures.TinyWeights(tok.VocabSize);
        string model = dir.File("model.bin"), tokPath = dir.File("tokenizer.bin"), gguf = dir.File("out.gguf");
        Llama2cCheckpoint.Write(model, w);
        Llama2cTokenizerFile.Write(tokPath, tok);
        Assert.Equal(0, Tinylm("export", "gguf", model, "--tokenizer", tokPath, "--out", gguf, "--type", "q8_0"));
        GgufFile f = GgufFile.Read(gguf);
        Assert.Equal(GgmlType.Q8_0, f.GetInfo("blk.0.attn_q.weight").Type);
        Assert.Equal(GgmlType.F32, f.GetInfo("blk.0.attn_norm.weight").Type);
        Assert.Equal(7u, f.Get<uint>("general.file_type"));
        // The exported GGUF opens again as a model with its tokenizer.
        Assert.Equal(tok.Encode("the cat"), CausalLMLoader.Load(gguf).Tokenizer.Encode("the cat"));
    }

    [Fact]
    public void ExportGguf_BadInput_FailsWithoutWriting()
    {
        using var dir = new ScratchDir();
        string gguf = dir.File("out.gguf");
        string model = dir.File("model.bin"), tokPath = dir.File("tokenizer.bin");
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        Llama2cCheckpoint.Write(model, LlamaFixtures.TinyWeights(tok.VocabSize));
        Llama2cTokenizerFile.Write(tokPath, tok);
        Assert.Equal(2, Tinylm("export", "gguf", model, "--tokenizer", tokPath, "--out", gguf, "--type", "q4"));
        Assert.Equal(1, Tinylm("export", "gguf", model, "--out", gguf));
        File.WriteAllBytes(dir.File("broken.bin"), File.ReadAllBytes(model)[..1000]);
        Assert.Equal(1, Tinylm("export", "gguf", dir.File("broken.bin"), "--tokenizer", tokPath, "--out", gguf));
        Assert.False(File.Exists(gguf));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }
}

public class GenerateLlama2cCliTests
{
    [Fact]
    public void Generate_Llama2cCheckpointWithTokenizer_Works()
    {
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        string model = dir.File("model.bin"), tokPath = dir.File("tokenizer.bin");
        Llama2cCheckpoint.Write(model, LlamaConversion.FromModel(LlamaFixtures.Trained(tok).Model));
        Llama2cTokenizerFile.Write(tokPath, tok);
        var (rc, stdout, _) = CliRunner.Run("generate", model, "--tokenizer", tokPath, "--prompt", "the cat", "--max-tokens", "8", "--temperature", "0");
        Assert.Equal(0, rc);
        Assert.Contains("the cat", stdout);
    }
}
