using Microsoft.ML.OnnxRuntime;
using TinyLM.IO;
using TinyLM.IO.Onnx;
using TinyLM.Models;
using TinyLM.Tests.IO.Llama;
using TinyLM.Text;
using Xunit.Abstractions;

namespace TinyLM.Tests.IO.Onnx;

/// <summary>
/// Causal LMs of both families exported and run in ONNX Runtime: whole-sequence logits within 1e-4 of ours, and 32
/// greedy tokens through the past-KV graph equal to ours (with every step's logits within 1e-4 too).
/// </summary>
public class CausalLMOnnxTests(ITestOutputHelper output)
{
    private static readonly CharTokenizer Chars = CharTokenizer.Fit("abcdefghijklmnopqrstuvwxyz .,;!?");

    public static TheoryData<string> Shapes() =>
    [
        "gpt-learned-tanh-bias", "gpt-exact-gelu-untied", "gpt-rotary", "llama-gqa", "llama-untied-mha", "llama2c-import", "gguf-import",
    ];

    private static TokenizedCausalLM Make(string shape, ScratchDir dir)
    {
        var gpt = new CausalLMConfig { VocabSize = Chars.VocabSize, ContextLength = 48, Layers = 2, Heads = 2, EmbedDim = 16, Seed = 3 };
        var llama = gpt with
        {
            Heads = 4, KvHeads = 2, HiddenDim = 24, Norm = NormKind.RmsNorm, Positions = PositionKind.Rotary, Mlp = MlpKind.SwiGlu, Bias = false,
        };
        CausalLM Spread(CausalLMConfig config) => OnnxLm.Spread(new CausalLM(config), 17);
        return shape switch
        {
            "gpt-learned-tanh-bias" => new(Spread(gpt), Chars),
            "gpt-exact-gelu-untied" => new(Spread(gpt with { ExactGelu = true, Bias = false, TieWeights = false }), Chars),
            "gpt-rotary" => new(Spread(gpt with { Positions = PositionKind.Rotary, RopeTheta = 500f }), Chars),
            "llama-gqa" => new(Spread(llama), Chars),
            "llama-untied-mha" => new(Spread(llama with { KvHeads = 0, TieWeights = false, Layers = 1 }), Chars),
            "llama2c-import" => Llama2c(dir),
            "gguf-import" => Gguf(dir),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
    }

    // A llama2.c checkpoint written and read back the way `tinylm generate model.bin` loads one.
    private static TokenizedCausalLM Llama2c(ScratchDir dir)
    {
        var tokenizer = LlamaFixtures.Tokenizer();
        string path = dir.File("model.bin");
        Llama2cCheckpoint.Write(path, LlamaFixtures.TinyWeights(tokenizer.VocabSize, shared: true, std: 0.3f));
        return new TokenizedCausalLM(LlamaConversion.ToModel(Llama2cCheckpoint.Read(path)), tokenizer) { BosId = tokenizer.BosId, EosId = tokenizer.EosId };
    }

    private static TokenizedCausalLM Gguf(ScratchDir dir)
    {
        var tokenizer = LlamaFixtures.Tokenizer();
        var model = LlamaConversion.ToModel(LlamaFixtures.TinyWeights(tokenizer.VocabSize, shared: false, seed: 9, std: 0.3f));
        string path = dir.File("model.gguf");
        LlamaModelFiles.ExportGguf(new TokenizedCausalLM(model, tokenizer), path);
        return LlamaModelFiles.TryLoad(path, null)!;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Whole_sequence_logits_match_ours(string shape)
    {
        using var dir = new ScratchDir();
        var lm = Make(shape, dir);
        string path = dir.File("lm.onnx");
        OnnxExport.CausalLM(lm, path);
        var config = lm.Model.Config;
        var rng = new TinyLM.Tensors.Rng(5);
        const int b = 2, t = 24;
        long[] ids = [.. Enumerable.Range(0, b * t).Select(_ => (long)rng.NextInt(config.VocabSize))];
        using var session = new InferenceSession(path);
        float diff = OnnxParity.MaxAbsDiff(OnnxLm.Logits(session, config, ids, b, t), OnnxLm.OurLogits(lm.Model, ids, b, t));
        output.WriteLine($"{shape}: B={b} T={t} V={config.VocabSize} max |Δlogit| = {diff:E2}");
        Assert.InRange(diff, 0f, OnnxParity.Tolerance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Greedy_decoding_through_the_past_kv_graph_equals_ours(string shape)
    {
        using var dir = new ScratchDir();
        var lm = Make(shape, dir);
        string path = dir.File("lm.onnx");
        OnnxExport.CausalLM(lm, path);
        int[] prompt = lm.BosId is { } bos ? [bos, .. lm.Tokenizer.Encode("the cat")] : lm.Tokenizer.Encode("the cat");
        const int steps = 32;
        using var session = new InferenceSession(path);
        var (onnxTokens, onnxLogits) = OnnxLm.GreedyOnnx(session, lm.Model.Config, prompt, steps);
        var (ourTokens, ourLogits) = OnnxLm.GreedyOurs(lm.Model, prompt, steps);
        float diff = 0f;
        for (int s = 0; s < steps; s++) diff = Math.Max(diff, OnnxParity.MaxAbsDiff(onnxLogits[s], ourLogits[s]));
        float margin = ourLogits.Min(OnnxLm.Margin);
        output.WriteLine($"{shape}: {steps} greedy tokens [{string.Join(' ', ourTokens)}], max |Δlogit| over steps = {diff:E2}, smallest top-2 gap = {margin:E2}");
        Assert.Equal(ourTokens, onnxTokens);
        Assert.InRange(diff, 0f, OnnxParity.Tolerance);
        Assert.True(ourTokens.Distinct().Count() > 1, "a constant continuation would not test the positions");
    }

    [Theory]
    [InlineData("gpt-learned-tanh-bias")]
    [InlineData("llama-gqa")]
    public void A_prompt_prefilled_in_two_chunks_through_the_past_gives_the_whole_sequence_logits(string shape)
    {
        using var dir = new ScratchDir();
        var lm = Make(shape, dir);
        string path = dir.File("lm.onnx");
        OnnxExport.CausalLM(lm, path);
        var config = lm.Model.Config;
        var rng = new TinyLM.Tensors.Rng(8);
        long[] ids = [.. Enumerable.Range(0, 20).Select(_ => (long)rng.NextInt(config.VocabSize))];
        using var session = new InferenceSession(path);
        var chunked = OnnxLm.LogitsInTwoChunks(session, config, ids[..7], ids[7..]);
        var whole = OnnxLm.OurLogits(lm.Model, ids, 1, ids.Length)[(7 * config.VocabSize)..];
        float diff = OnnxParity.MaxAbsDiff(chunked, whole);
        output.WriteLine($"{shape}: 7 + 13 tokens, max |Δlogit| = {diff:E2}");
        Assert.InRange(diff, 0f, OnnxParity.Tolerance);
    }

    [Fact]
    public void Metadata_and_io_follow_the_past_key_values_layout()
    {
        using var dir = new ScratchDir();
        var lm = Make("llama2c-import", dir);
        string path = dir.File("lm.onnx");
        var result = OnnxExport.CausalLM(lm, path);
        Assert.Equal(["input_ids", "past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value"], result.Inputs);
        Assert.Equal(["logits", "present.0.key", "present.0.value", "present.1.key", "present.1.value"], result.Outputs);
        using var session = new InferenceSession(path);
        Assert.Equal([-1, 2, -1, 16], session.InputMetadata["past_key_values.0.key"].Dimensions);
        Assert.Equal([-1, -1], session.InputMetadata["input_ids"].Dimensions);
        var map = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("causal-lm", map["tinylm.kind"]);
        Assert.Equal("1", map["bos_token_id"]);
        Assert.Equal("2", map["eos_token_id"]);
        Assert.Equal(lm.Tokenizer.Encode("the cat sat"), Tokenizers.FromJson(map["tokenizer"], path).Encode("the cat sat"));
        Assert.Contains("\"positions\":\"Rotary\"", map["tinylm.config"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_quantized_model_is_refused_and_nothing_is_written()
    {
        using var dir = new ScratchDir();
        var lm = Make("llama2c-import", dir); // 64 columns: whole q8_0 blocks
        var quantized = TinyLM.Compression.CausalLMQuantizer.Quantize(lm, new TinyLM.Compression.CausalLMQuantizationOptions { MaxLayerError = double.PositiveInfinity }).Model;
        Assert.True(quantized.Model.HasQuantizedWeights);
        string path = dir.File("lm.onnx");
        var error = Assert.Throws<OnnxExportException>(() => OnnxExport.CausalLM(quantized, path));
        Assert.Contains("quantized", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.onnx*"));
    }
}
