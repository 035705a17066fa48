using TinyLM.Bench.LlamaCpp;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;
using Xunit.Abstractions;

namespace TinyLM.Tests.IO.Llama;

/// <summary>
/// The GGUF exporter checked by the runtime that reads it: llama.cpp (LLamaSharp 0.30.0, CPU backend) on the
/// exported file against our model on the same weights. Fails, with the reason, when llama.cpp's native library
/// cannot load; set TINYLM_SKIP_LLAMACPP=1 to leave these checks out on a platform LLamaSharp does not ship for.
/// </summary>
public class LlamaCppParityTests(ITestOutputHelper output)
{
    private const string Prompt = "the cat sat on the mat and one cat";
    private const int GreedyTokens = 64;
    private const double LogitRelativeTolerance = 1e-3;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void F32_LogitsAndGreedyContinuation_MatchLlamaCpp(bool sharedClassifier)
    {
        if (!LlamaCppPeer.ShouldRun()) return;
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        LlamaWeights w = LlamaFixtures.TinyWeights(tok.VocabSize, sharedClassifier, seed: 11);
        string path = dir.File("tiny-f32.gguf");
        LlamaGguf.Write(path, w, GgufVocabulary.FromLlama(tok), GgmlType.F32);
        CausalLM ours = LlamaConversion.ToModel(w);

        using var peer = new LlamaCppSession(path, w.Shape.ContextLength, threads: 1);
        Assert.Equal(tok.VocabSize, peer.VocabSize);
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        Assert.Equal(prompt, peer.Tokenize(Prompt)); // the exported vocabulary tokenizes as ours does

        CausalLMRunState state = ours.CreateRunState();
        float[] theirs = peer.Prefill(prompt);
        ReadOnlySpan<float> mine = state.Prefill(prompt);
        double worst = AssertClose(mine, theirs, "prompt");
        var ourTokens = new int[GreedyTokens];
        var theirTokens = new int[GreedyTokens];
        for (int i = 0; i < GreedyTokens; i++)
        {
            ourTokens[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(mine);
            theirTokens[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(theirs);
            Assert.True(ourTokens[i] == theirTokens[i], $"greedy step {i}: ours {ourTokens[i]}, llama.cpp {theirTokens[i]}");
            mine = state.DecodeStep(ourTokens[i]);
            theirs = peer.DecodeStep(theirTokens[i]).ToArray();
            worst = Math.Max(worst, AssertClose(mine, theirs, $"step {i}"));
        }
        output.WriteLine($"shared={sharedClassifier}: worst relative logit difference {worst:E2} over {GreedyTokens + 1} positions; continuation: {tok.Decode(ourTokens)}");
    }

    [Fact]
    public void Q8_0_GreedyContinuation_MatchesLlamaCpp()
    {
        if (!LlamaCppPeer.ShouldRun()) return;
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        LlamaWeights w = LlamaConversion.FromModel(LlamaFixtures.Trained(tok, layers: 2, steps: 40).Model);
        string path = dir.File("tiny-q8.gguf");
        LlamaGguf.Write(path, w, GgufVocabulary.FromLlama(tok), GgmlType.Q8_0);
        // Ours runs the dequantized weights in float; llama.cpp also rounds every matmul's input to q8_0. Our q8_0 decoder
        // on the same blocks rounds as llama.cpp does and so measures, step by step, the tolerance (see AssertGreedyWalk).
        CausalLM ours = LlamaConversion.ToModel(LlamaGguf.Read(path).Weights);
        var oursQ8 = CausalLMQuantizer.Quantize(new TokenizedCausalLM(ours, tok) { BosId = 1 }, new CausalLMQuantizationOptions { Type = QuantizationType.Q8_0 }).Model;
        using var peer = new LlamaCppSession(path, w.Shape.ContextLength, threads: 1);
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        var walk = LlamaCppPeer.AssertGreedyWalk(ours.CreateRunState(), peer, prompt, GreedyTokens, "q8_0", otherRounding: oursQ8.Model.CreateRunState());
        output.WriteLine($"q8_0: worst relative logit difference {walk.WorstDifference:E2}; {walk.NearTies} near-tie(s) in {GreedyTokens} greedy tokens: {tok.Decode([.. prompt, .. walk.Generated])}");
    }

    [Fact]
    public void Q8_0_GreedyWalk_FailsWhenLlamaCppRunsOtherWeights()
    {
        // The rounding-derived tolerance must still catch a real difference: llama.cpp gets the same model with its final
        // norm scaled by 1.2 (logits 1.2×, a 20% relative difference that no q8_0 rounding explains).
        if (!LlamaCppPeer.ShouldRun()) return;
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        LlamaWeights w = LlamaConversion.FromModel(LlamaFixtures.Trained(tok, layers: 2, steps: 40).Model);
        for (int i = 0; i < w.FinalNorm.Length; i++) w.FinalNorm[i] *= 1.2f;
        string scaled = dir.File("scaled-q8.gguf");
        LlamaGguf.Write(scaled, w, GgufVocabulary.FromLlama(tok), GgmlType.Q8_0);
        LlamaWeights read = LlamaGguf.Read(scaled).Weights;
        for (int i = 0; i < read.FinalNorm.Length; i++) read.FinalNorm[i] /= 1.2f;
        CausalLM ours = LlamaConversion.ToModel(read);
        var oursQ8 = CausalLMQuantizer.Quantize(new TokenizedCausalLM(ours, tok) { BosId = 1 }, new CausalLMQuantizationOptions { Type = QuantizationType.Q8_0 }).Model;
        using var peer = new LlamaCppSession(scaled, w.Shape.ContextLength, threads: 1);
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() =>
            LlamaCppPeer.AssertGreedyWalk(ours.CreateRunState(), peer, prompt, GreedyTokens, "q8_0", otherRounding: oursQ8.Model.CreateRunState()));
        Assert.Contains("logits differ", failure.Message);
    }

    // Relative to the largest |logit|: per-element relative error is meaningless for logits near zero.
    private static double AssertClose(ReadOnlySpan<float> ours, ReadOnlySpan<float> theirs, string where)
    {
        Assert.Equal(theirs.Length, ours.Length);
        double rel = LlamaCppPeer.RelativeDifference(ours, theirs);
        Assert.True(rel <= LogitRelativeTolerance, $"{where}: logits differ by {rel:E2} relative (tolerance {LogitRelativeTolerance:E0})");
        return rel;
    }
}
