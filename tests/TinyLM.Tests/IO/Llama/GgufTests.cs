using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Tests.IO.Llama;

public class GgufTests
{
    [Fact]
    public void Writer_Layout_FollowsTheSpec()
    {
        var w = new GgufWriter().Add("general.architecture", "llama").Add("x.u32", 7u);
        w.AddTensor("t", [2, 3], [1, 2, 3, 4, 5, 6]);
        using var ms = new MemoryStream();
        w.Write(ms);
        byte[] b = ms.ToArray();
        Assert.Equal("GGUF"u8.ToArray(), b[..4]);
        Assert.Equal(3u, BitConverter.ToUInt32(b, 4));
        Assert.Equal(1ul, BitConverter.ToUInt64(b, 8));   // tensors
        Assert.Equal(2ul, BitConverter.ToUInt64(b, 16));  // metadata pairs
        Assert.Equal(20ul, BitConverter.ToUInt64(b, 24)); // key length of "general.architecture"
        GgufFile f = GgufFile.Parse(b, "mem");
        // dims are stored innermost first: (2, 3) row-major is ne = [3, 2].
        Assert.Equal([2L, 3L], f.GetInfo("t").Shape);
        Assert.Equal(0, b.Length % GgufWriter.DefaultAlignment); // data section aligned, tensor padded
        Assert.Equal([1f, 2, 3, 4, 5, 6], f.ReadFloats("t"));
    }

    [Fact]
    public void Metadata_AllTypes_RoundTrip()
    {
        var w = new GgufWriter()
            .Add("u8", (byte)200).Add("i8", (sbyte)-3).Add("u16", (ushort)60000).Add("i16", (short)-300)
            .Add("u32", 4_000_000_000u).Add("i32", -5).Add("f32", 1.5f).Add("b", true).Add("s", "héllo")
            .Add("u64", ulong.MaxValue).Add("i64", long.MinValue).Add("f64", Math.PI)
            .Add("as", new[] { "a", "", "▁b" }).Add("af", new[] { 1f, -2f }).Add("ai", new[] { 3, 6 });
        using var ms = new MemoryStream();
        w.Write(ms);
        GgufFile f = GgufFile.Parse(ms.ToArray(), "mem");
        Assert.Equal((byte)200, f.Get<byte>("u8"));
        Assert.Equal((sbyte)-3, f.Get<sbyte>("i8"));
        Assert.Equal((ushort)60000, f.Get<ushort>("u16"));
        Assert.Equal((short)-300, f.Get<short>("i16"));
        Assert.Equal(4_000_000_000u, f.Get<uint>("u32"));
        Assert.Equal(-5, f.Get<int>("i32"));
        Assert.Equal(1.5f, f.Get<float>("f32"));
        Assert.True(f.Get<bool>("b"));
        Assert.Equal("héllo", f.Get<string>("s"));
        Assert.Equal(ulong.MaxValue, f.Get<ulong>("u64"));
        Assert.Equal(long.MinValue, f.Get<long>("i64"));
        Assert.Equal(Math.PI, f.Get<double>("f64"));
        Assert.Equal(["a", "", "▁b"], f.Get<string[]>("as"));
        Assert.Equal([1f, -2f], f.Get<float[]>("af"));
        Assert.Equal([3, 6], f.Get<int[]>("ai"));
        Assert.Throws<ModelFormatException>(() => f.Get<int>("u32"));
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add("k", 1).Add("k", 2));
        Assert.Throws<ArgumentException>(() => new GgufWriter().Add("k", new object()));
    }

    [Fact]
    public void Q8_0_MatchesGgmlReference()
    {
        var rng = new Rng(3);
        var x = new float[96];
        rng.Normal(x, 0f, 1f);
        x[5] = 0f;
        var bytes = new byte[GgmlQuant.ByteCount(GgmlType.Q8_0, x.Length)];
        Assert.Equal(3 * 34, bytes.Length);
        GgmlQuant.Encode(GgmlType.Q8_0, x, bytes);
        var back = new float[x.Length];
        GgmlQuant.Decode(GgmlType.Q8_0, bytes, back);
        for (int blk = 0; blk < 3; blk++)
        {
            float amax = 0f;
            for (int i = 0; i < 32; i++) amax = MathF.Max(amax, MathF.Abs(x[blk * 32 + i]));
            float d = amax / 127f;
            Assert.Equal((Half)d, BitConverter.ToHalf(bytes, blk * 34));
            for (int i = 0; i < 32; i++)
            {
                sbyte q = (sbyte)bytes[blk * 34 + 2 + i];
                Assert.Equal((sbyte)MathF.Round(x[blk * 32 + i] / d, MidpointRounding.AwayFromZero), q);
                Assert.True(MathF.Abs(back[blk * 32 + i] - x[blk * 32 + i]) <= 0.51f * d + 1e-3f * amax);
            }
        }
        var zeros = new byte[34];
        GgmlQuant.Encode(GgmlType.Q8_0, new float[32], zeros);
        Assert.All(zeros, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_0)]
    public void LlamaModel_RoundTrip(GgmlType type)
    {
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        LlamaWeights w = LlamaFixtures.TinyWeights(tok.VocabSize, shared: type != GgmlType.F16);
        string path = dir.File("m.gguf");
        LlamaGguf.Write(path, w, GgufVocabulary.FromLlama(tok), type);
        (LlamaWeights back, GgufVocabulary? vocab) = LlamaGguf.Read(path);
        Assert.Equal(w.Shape, back.Shape);
        foreach (((string name, float[] a), (_, float[] b)) in w.Arrays().Zip(back.Arrays()))
        {
            bool norm = name.StartsWith("rms_", StringComparison.Ordinal);
            for (int i = 0; i < a.Length; i++)
            {
                float expected = type == GgmlType.F16 && !norm ? (float)(Half)a[i] : a[i];
                float tol = type == GgmlType.Q8_0 && !norm ? 0.51f * 0.4f / 127f : 0f; // |w| ≤ 5σ = 0.4 here
                Assert.True(MathF.Abs(b[i] - expected) <= tol, $"{name}[{i}]: {b[i]} vs {expected}");
            }
        }
        LlamaTokenizer tokBack = vocab!.ToLlamaTokenizer(path);
        Assert.Equal(Llama2cTokenizerFile.Serialize(tok), Llama2cTokenizerFile.Serialize(tokBack));
        Assert.True(vocab.AddBos);
        Assert.Equal((int)GgufTokenType.Control, vocab.TokenTypes[1]);
        Assert.Equal((int)GgufTokenType.Byte, vocab.TokenTypes[3 + 'a']);
        Assert.Equal("▁the", vocab.Tokens[tok.Encode("the", false, false)[0]]);
    }

    [Fact]
    public void TensorNames_AndMetadata_AreLlamaCpps()
    {
        using var dir = new ScratchDir();
        LlamaWeights w = LlamaFixtures.TinyWeights(300, shared: false);
        string path = dir.File("m.gguf");
        LlamaGguf.Write(path, w, null);
        GgufFile f = GgufFile.Read(path);
        Assert.Equal("llama", f.Get<string>("general.architecture"));
        Assert.Equal(128u, f.Get<uint>("llama.context_length"));
        Assert.Equal(64u, f.Get<uint>("llama.embedding_length"));
        Assert.Equal(2u, f.Get<uint>("llama.block_count"));
        Assert.Equal(192u, f.Get<uint>("llama.feed_forward_length"));
        Assert.Equal(4u, f.Get<uint>("llama.attention.head_count"));
        Assert.Equal(2u, f.Get<uint>("llama.attention.head_count_kv"));
        Assert.Equal(16u, f.Get<uint>("llama.rope.dimension_count"));
        Assert.Equal(1e-5f, f.Get<float>("llama.attention.layer_norm_rms_epsilon"));
        Assert.Equal(10000f, f.Get<float>("llama.rope.freq_base"));
        Assert.Equal([300L, 64L], f.GetInfo("token_embd.weight").Shape);
        Assert.Equal([32L, 64L], f.GetInfo("blk.1.attn_k.weight").Shape);
        Assert.Equal([64L, 192L], f.GetInfo("blk.0.ffn_down.weight").Shape);
        Assert.Equal([192L, 64L], f.GetInfo("blk.0.ffn_gate.weight").Shape);
        Assert.True(f.HasTensor("output.weight"));
        Assert.True(f.HasTensor("output_norm.weight"));
        Assert.Equal(2 + 2 * 9 + 1, f.Tensors.Count);
    }

    [Fact]
    public void BadFiles_AreClearErrors()
    {
        using var dir = new ScratchDir();
        string path = dir.File("m.gguf");
        LlamaGguf.Write(path, LlamaFixtures.TinyWeights(300), null);
        byte[] good = File.ReadAllBytes(path);
        Assert.Contains("truncated", Assert.Throws<ModelFormatException>(() => GgufFile.Parse(good[..^40], "m.gguf")).Message);
        Assert.Contains("truncated", Assert.Throws<ModelFormatException>(() => GgufFile.Parse(good[..200], "m.gguf")).Message);
        Assert.Contains("magic", Assert.Throws<ModelFormatException>(() => GgufFile.Parse([.. "GGML"u8, .. good[4..]], "m.gguf")).Message);
        byte[] v9 = (byte[])good.Clone();
        v9[4] = 9;
        Assert.Contains("version 9", Assert.Throws<ModelFormatException>(() => GgufFile.Parse(v9, "m.gguf")).Message);
        byte[] huge = (byte[])good.Clone();
        BitConverter.GetBytes(ulong.MaxValue / 2).CopyTo(huge, 8);
        Assert.Contains("impossible", Assert.Throws<ModelFormatException>(() => GgufFile.Parse(huge, "m.gguf")).Message);
        var noArch = new GgufWriter().Add("general.architecture", "gpt2");
        using var ms = new MemoryStream();
        noArch.Write(ms);
        Assert.Contains("gpt2", Assert.Throws<ModelFormatException>(() => LlamaGguf.Read(GgufFile.Parse(ms.ToArray(), "g.gguf"))).Message);
    }

    [Fact]
    public void TrainedHere_Exported_ImportedBack_GivesSameTokens()
    {
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        (CausalLM model, float first, float last) = LlamaFixtures.Trained(tok);
        Assert.True(last < first * 0.5f, $"training did not reduce the loss: {first} → {last}");

        var lm = new TokenizedCausalLM(model, tok);
        string path = dir.File("trained.gguf");
        LlamaModelFiles.ExportGguf(lm, path);
        TokenizedCausalLM back = CausalLMLoader.Load(path);
        int[] prompt = tok.Encode("the cat");
        Assert.Equal(Greedy(model, prompt, 24), Greedy(back.Model, back.Tokenizer.Encode("the cat"), 24));

        string bin = dir.File("trained.bin"), tokBin = dir.File("tokenizer.bin");
        Llama2cCheckpoint.Write(bin, LlamaConversion.FromModel(model));
        Llama2cTokenizerFile.Write(tokBin, tok);
        TokenizedCausalLM fromBin = CausalLMLoader.Load(bin, tokBin);
        Assert.Equal(Greedy(model, prompt, 24), Greedy(fromBin.Model, prompt, 24));
    }

    [Fact]
    public void CharTokenizerModels_ExportWithCharVocabulary_BpeIsRefused()
    {
        CharTokenizer chars = CharTokenizer.Fit("hello world");
        GgufVocabulary v = LlamaModelFiles.ToGgufVocabulary(chars);
        Assert.Equal(chars.VocabSize, v.Tokens.Length);
        Assert.Contains("▁", v.Tokens);
        Assert.False(v.AddBos);
        Assert.False(v.AddSpacePrefix);
        var bpe = ByteBpeTokenizer.BytesOnly();
        Assert.Contains("bytebpe", Assert.Throws<ArgumentException>(() => LlamaModelFiles.ToGgufVocabulary(bpe)).Message);
    }

    internal static int[] Greedy(CausalLM model, int[] prompt, int count)
    {
        CausalLMRunState state = model.CreateRunState();
        ReadOnlySpan<float> logits = state.Prefill(prompt);
        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            logits = state.DecodeStep(result[i]);
        }
        return result;
    }
}
