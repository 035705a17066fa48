using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Tests.IO.Llama;

public class Llama2cCheckpointTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Checkpoint_RoundTrip_IsExact(bool shared)
    {
        using var dir = new ScratchDir();
        LlamaWeights w = LlamaFixtures.TinyWeights(300, shared);
        string path = dir.File("model.bin");
        Llama2cCheckpoint.Write(path, w);
        Assert.Equal(Llama2cCheckpoint.HeaderBytes + 4 * Llama2cCheckpoint.FloatCount(w.Shape), new FileInfo(path).Length);
        LlamaWeights back = Llama2cCheckpoint.Read(path);
        Assert.Equal(w.Shape, back.Shape);
        foreach (((string name, float[] a), (_, float[] b)) in w.Arrays().Zip(back.Arrays()))
            Assert.True(a.AsSpan().SequenceEqual(b), name);
    }

    [Fact]
    public void Header_NegativeVocab_MeansUnsharedClassifier()
    {
        using var dir = new ScratchDir();
        string path = dir.File("m.bin");
        Llama2cCheckpoint.Write(path, LlamaFixtures.TinyWeights(300, shared: false));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal([64, 192, 2, 4, 2, -300, 128], Enumerable.Range(0, 7).Select(i => BitConverter.ToInt32(bytes, 4 * i)));
    }

    [Fact]
    public void BadCheckpoints_AreClearErrors()
    {
        using var dir = new ScratchDir();
        string path = dir.File("m.bin");
        Llama2cCheckpoint.Write(path, LlamaFixtures.TinyWeights(300));
        byte[] good = File.ReadAllBytes(path);

        string truncated = dir.File("truncated.bin");
        File.WriteAllBytes(truncated, good[..^10]);
        var ex = Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Read(truncated));
        Assert.Contains("truncated", ex.Message);
        Assert.Contains(truncated, ex.Message);

        string trailing = dir.File("trailing.bin");
        File.WriteAllBytes(trailing, [.. good, 0, 0, 0, 0]);
        Assert.Contains("trailing", Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Read(trailing)).Message);

        string tiny = dir.File("tiny.bin");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("header", Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Read(tiny)).Message);

        string text = dir.File("text.bin");
        File.WriteAllText(text, "this is not a checkpoint, just some text");
        Assert.Contains("not a llama2.c checkpoint", Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Read(text)).Message);

        string versioned = dir.File("v1.bin");
        byte[] v1 = new byte[256];
        BitConverter.GetBytes(0x616b3432u).CopyTo(v1, 0);
        BitConverter.GetBytes(1).CopyTo(v1, 4);
        File.WriteAllBytes(versioned, v1);
        Assert.Contains("versioned", Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Read(versioned)).Message);
    }

    [Fact]
    public void ImportedModel_MatchesLlama2cReferenceForward()
    {
        LlamaWeights w = LlamaFixtures.TinyWeights(300, shared: false);
        CausalLM model = LlamaConversion.ToModel(w);
        var reference = new Llama2cReference(w);
        CausalLMRunState state = model.CreateRunState();
        int[] tokens = [1, 40, 299, 7, 123, 5, 260, 88];
        foreach (int t in tokens)
        {
            double[] expected = reference.Step(t);
            float[] ours = state.DecodeStep(t).ToArray();
            double scale = expected.Max(Math.Abs);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(ours[i] - expected[i]) <= 1e-4 * scale, $"token {t}, logit {i}: ours {ours[i]}, reference {expected[i]}");
        }
    }

    [Fact]
    public void ModelConversion_RoundTrip_IsExact()
    {
        LlamaWeights w = LlamaFixtures.TinyWeights(300, shared: true);
        LlamaWeights back = LlamaConversion.FromModel(LlamaConversion.ToModel(w));
        Assert.Equal(w.Shape, back.Shape);
        foreach (((string name, float[] a), (_, float[] b)) in w.Arrays().Zip(back.Arrays()))
            Assert.True(a.AsSpan().SequenceEqual(b), name);
    }

    [Fact]
    public void NonLlamaConfig_IsRefusedWithTheReason()
    {
        var ex = Assert.Throws<ArgumentException>(() => LlamaConversion.ToShape(CausalLMConfig.NanoGptShakespeareCpu));
        Assert.Contains("LayerNorm", ex.Message);
    }

    [Fact]
    public void Loader_OpensLlama2cCheckpointWithTokenizer_AndChecksVocabulary()
    {
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        string model = dir.File("model.bin"), tokPath = dir.File("tokenizer.bin");
        Llama2cCheckpoint.Write(model, LlamaFixtures.TinyWeights(tok.VocabSize));
        Llama2cTokenizerFile.Write(tokPath, tok);
        TokenizedCausalLM lm = CausalLMLoader.Load(model, tokPath);
        Assert.Equal(tok.VocabSize, lm.Model.Config.VocabSize);
        Assert.Equal(tok.Encode("the cat"), lm.Tokenizer.Encode("the cat"));

        Assert.Contains("--tokenizer", Assert.Throws<ArgumentException>(() => CausalLMLoader.Load(model)).Message);
        string small = dir.File("small.bin");
        Llama2cCheckpoint.Write(small, LlamaFixtures.TinyWeights(tok.VocabSize - 1));
        Assert.Contains("vocabulary mismatch", Assert.ThrowsAny<IOException>(() => CausalLMLoader.Load(small, tokPath)).Message);
    }
}
