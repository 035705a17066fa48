using TinyLM.Bench.LlamaCpp;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;
using Xunit.Abstractions;

namespace TinyLM.Tests.IO.Llama;

/// <summary>
/// A model quantized here (q8_0 / q4_0 blocks in the .tlm), exported to GGUF without re-quantizing and run by
/// llama.cpp (LLamaSharp 0.30.0): its greedy tokens must be ours but for near-ties, its logits within the rounding bound. Both sides
/// quantize the activations to Q8_0 and take block dot products of the same bytes. TINYLM_SKIP_LLAMACPP=1 leaves
/// the check out where LLamaSharp ships no native library.
/// </summary>
public class QuantizedLlamaCppTests(ITestOutputHelper output)
{
    private const string Prompt = "the cat sat on the mat and one cat";
    private const int GreedyTokens = 64;

    [Theory]
    [InlineData(QuantizationType.Q8_0)]
    [InlineData(QuantizationType.Q4_0)]
    public void Quantized_tlm_exported_to_gguf_gives_llama_cpp_our_greedy_tokens(QuantizationType type)
    {
        if (!LlamaCppPeer.ShouldRun()) return;
        using var dir = new ScratchDir();
        LlamaTokenizer tok = LlamaFixtures.Tokenizer();
        var lm = new TokenizedCausalLM(LlamaFixtures.Trained(tok, layers: 2, steps: 40).Model, tok) { BosId = 1 };
        string tlm = dir.File("q.tlm"), gguf = dir.File("q.gguf");
        CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = type }).Model.Save(tlm);
        TokenizedCausalLM ours = CausalLMFile.Load(tlm);
        LlamaModelFiles.ExportGguf(ours, gguf, type == QuantizationType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q4_0);

        using var peer = new LlamaCppSession(gguf, ours.Model.Config.ContextLength, threads: 1);
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        // Our float decoder on the dequantized blocks measures what the activation rounding moves (see AssertGreedyWalk).
        CausalLM dequantized = LlamaConversion.ToModel(LlamaGguf.Read(gguf).Weights);
        var walk = LlamaCppPeer.AssertGreedyWalk(ours.Model.CreateRunState(), peer, prompt, GreedyTokens, type.ToString(),
            otherRounding: dequantized.CreateRunState());
        output.WriteLine($"{type}: worst relative logit difference {walk.WorstDifference:E2}; {walk.NearTies} near-tie(s) in {GreedyTokens} greedy tokens: {tok.Decode([.. prompt, .. walk.Generated])}");
    }
}
