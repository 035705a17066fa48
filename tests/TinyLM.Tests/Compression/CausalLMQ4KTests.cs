using System.Numerics.Tensors;
using TinyLM.Bench.LlamaCpp;
using TinyLM.Cli;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.IO.Llama;
using TinyLM.Text;
using Xunit.Abstractions;

using TinyLM.Tests.Cli;

namespace TinyLM.Tests.Compression;

/// <summary>
/// Q4_K language models: quantizer (with its per-matrix q8_0 fallback), .tlm round trip, GGUF export of the blocks as
/// they are, and llama.cpp (LLamaSharp 0.30.0) running that GGUF to the same greedy tokens as our decoder.
/// </summary>
public class CausalLMQ4KTests(ITestOutputHelper output)
{
    private const string Prompt = "the cat sat on the mat and one cat";

    // dim 256 (attention and gate/up rows fit Q4_K's 256-value super-blocks), hidden 480 (ffn_down rows do not:
    // q8_0), 4 heads over 2 kv heads, tied output; trained a few steps so its next-token choices are peaked.
    private static TokenizedCausalLM Model(out LlamaTokenizer tok)
    {
        tok = LlamaFixtures.Tokenizer();
        var config = LlamaConversion.ToConfig(new LlamaShape(256, 480, 2, 4, 2, tok.VocabSize, 128, true)) with { Seed = 11 };
        var model = new CausalLM(config);
        int[] ids = tok.Encode("the cat sat on the mat and the cat sat on one hat and the one cat sat", addBos: true, addEos: false);
        var input = new IntTensor(ids[..^1], 1, ids.Length - 1);
        var target = new IntTensor(ids[1..], 1, ids.Length - 1);
        var opt = new AdamW(model, learningRate: 3e-3f);
        for (int step = 0; step < 40; step++)
        {
            opt.ZeroGrad();
            model.Loss(input, target).Backward();
            opt.Step();
        }
        return new TokenizedCausalLM(model, tok) { BosId = 1 };
    }

    private static double RelativeDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => LlamaCppPeer.RelativeDifference(a, b);

    [Fact]
    public void Q4_k_quantizes_fitting_matrices_falls_back_to_q8_0_for_the_others_and_tracks_the_float_model()
    {
        var lm = Model(out var tok);
        var result = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Q4_K });
        Assert.Equal(2 * 7 + 1, result.Layers.Count);
        foreach (var layer in result.Layers)
        {
            bool down = layer.Name.EndsWith("feed_forward.w2.weight", StringComparison.Ordinal);
            Assert.Equal(down ? "q8_0" : "q4_k", layer.Format);
            if (down) Assert.Contains("480 columns is not a multiple of 256", layer.Reason, StringComparison.Ordinal);
            else Assert.Equal("", layer.Reason);
        }
        var matrices = result.Model.Model.NamedWeightFormats().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(BlockFormat.Q4_K, ((BlockMatrix)matrices["layers.0.attention.wq.weight"]).Format);
        Assert.Equal(BlockFormat.Q8_0, ((BlockMatrix)matrices["layers.1.feed_forward.w2.weight"]).Format);
        Assert.Equal(QuantizationType.Q4_K, CausalLMQuantizer.TypeOf(result.Model.Model));

        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        var quantized = result.Model.Model.CreateRunState();
        var original = lm.Model.CreateRunState();
        float[] a = quantized.Prefill(prompt).ToArray(), c = original.Prefill(prompt).ToArray();
        Assert.True(RelativeDifference(a, c) < 0.1, $"q4_k moved the logits by {RelativeDifference(a, c)}");
        for (int i = 0; i < 8; i++)
        {
            int next = TensorPrimitives.IndexOfMax(c);
            a = quantized.DecodeStep(next).ToArray();
            c = original.DecodeStep(next).ToArray();
            Assert.True(RelativeDifference(a, c) < 0.1, $"q4_k step {i}: logits moved by {RelativeDifference(a, c)}");
        }

        // A model too narrow for any super-block is all fallback; a fallback that is itself 256-wide is refused.
        var narrow = CausalLMQuantizer.Quantize(new TokenizedCausalLM(LlamaFixtures.Trained(tok, layers: 1, steps: 1).Model, tok),
            new CausalLMQuantizationOptions { Type = QuantizationType.Q4_K, Fallback = QuantizationType.Q4_0 });
        Assert.All(narrow.Layers, l => Assert.Equal("q4_0", l.Format));
        Assert.Throws<ArgumentException>(() => CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Q4_K, Fallback = QuantizationType.Q4_K }));
    }

    [Fact]
    public void Q4_k_files_round_trip_and_export_to_gguf_with_per_tensor_types()
    {
        using var dir = new ScratchDir();
        var lm = Model(out var tok);
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Q4_K }).Model;
        string floatPath = dir.File("f.tlm"), path = dir.File("q.tlm"), gguf = dir.File("q.gguf"), direct = dir.File("direct.gguf");
        lm.Save(floatPath);
        q.Save(path);
        var back = CausalLMFile.Load(path);
        foreach (var (name, matrix) in q.Model.NamedWeightFormats())
        {
            var a = (BlockMatrix)matrix;
            var b = (BlockMatrix)back.Model.WeightFormatOf(name)!;
            Assert.Equal(a.Format, b.Format);
            Assert.Equal(a.Data, b.Data);
        }
        Assert.True(new FileInfo(path).Length * 4.0 < new FileInfo(floatPath).Length);
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        Assert.Equal(q.Model.CreateRunState().Prefill(prompt).ToArray(), back.Model.CreateRunState().Prefill(prompt).ToArray());

        Assert.Equal(0, CliRunner.Run("export", "gguf", path, "--out", gguf).Exit);
        var file = GgufFile.Read(gguf);
        Assert.Equal(14u, file.Get<uint>("general.file_type")); // LLAMA_FTYPE_MOSTLY_Q4_K_S
        Assert.Equal(GgmlType.Q4_K, file.GetInfo("blk.0.attn_q.weight").Type);
        Assert.Equal(GgmlType.Q4_K, file.GetInfo("token_embd.weight").Type);
        Assert.Equal(GgmlType.Q8_0, file.GetInfo("blk.1.ffn_down.weight").Type);
        Assert.Equal(GgmlType.F32, file.GetInfo("blk.0.attn_norm.weight").Type);
        var deq = ((BlockMatrix)q.Model.WeightFormatOf("layers.1.feed_forward.w1.weight")!).Dequantize();
        Assert.Equal(deq, file.ReadFloats("blk.1.ffn_gate.weight"));
        Assert.Equal(2, CliRunner.Run("export", "gguf", path, "--out", dir.File("other.gguf"), "--type", "q4_0").Exit);

        // A float model exported with --type q4_k is quantized the same way on the way out.
        Assert.Equal(0, CliRunner.Run("export", "gguf", floatPath, "--out", direct, "--type", "q4_k").Exit);
        var directFile = GgufFile.Read(direct);
        Assert.Equal(GgmlType.Q4_K, directFile.GetInfo("blk.1.attn_v.weight").Type);
        Assert.Equal(GgmlType.Q8_0, directFile.GetInfo("blk.0.ffn_down.weight").Type);
        Assert.Equal(file.ReadFloats("blk.1.attn_v.weight"), directFile.ReadFloats("blk.1.attn_v.weight"));
    }

    [Fact]
    public void Q4_k_gguf_gives_llama_cpp_our_greedy_tokens()
    {
        if (!LlamaCppPeer.ShouldRun()) return;
        using var dir = new ScratchDir();
        var lm = Model(out var tok);
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Q4_K }).Model;
        string gguf = dir.File("q.gguf");
        LlamaModelFiles.ExportGguf(q, gguf, GgmlType.Q4_K);
        using var peer = new LlamaCppSession(gguf, q.Model.Config.ContextLength, threads: 1);
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        // llama.cpp pairs Q4_K with Q8_K activations (one float scale per 256 values), ours are Q8_0 (f16 scale per
        // 32), so the logits differ by that rounding. Both sides and a float32 model holding the dequantized weights
        // (no activation rounding at all) are fed our greedy tokens: each side stays within 5% of the largest logit of
        // the other and of the float32 reference (a wrong byte layout would be off by ~100%), and wherever the two
        // greedy picks differ, the two candidates must be a near-tie.
        const int steps = 48;
        var reference = new CausalLM(q.Model.Config);
        var dequantized = q.Model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, p) in reference.NamedParameters()) dequantized[name].AsSpan().CopyTo(p.AsSpan());
        var state = q.Model.CreateRunState();
        var exact = reference.CreateRunState();
        float[] theirs = peer.Prefill(prompt), mine = state.Prefill(prompt).ToArray(), plain = exact.Prefill(prompt).ToArray();
        double worst = 0, theirsVsFloat = 0, oursVsFloat = 0;
        int same = 0;
        var generated = new List<int>();
        for (int i = 0; i < steps; i++)
        {
            double diff = RelativeDifference(mine, theirs), scale = TensorPrimitives.MaxMagnitude(theirs);
            worst = Math.Max(worst, diff);
            theirsVsFloat = Math.Max(theirsVsFloat, RelativeDifference(theirs, plain));
            oursVsFloat = Math.Max(oursVsFloat, RelativeDifference(mine, plain));
            Assert.True(diff < 0.05 && theirsVsFloat < 0.05 && oursVsFloat < 0.05,
                $"q4_k step {i}: relative logit difference ours/llama.cpp {diff}, llama.cpp/float {theirsVsFloat}, ours/float {oursVsFloat}");
            int a = TensorPrimitives.IndexOfMax(mine), b = TensorPrimitives.IndexOfMax(theirs);
            if (a == b) same++;
            else Assert.True(mine[a] - mine[b] <= 2 * diff * scale, $"q4_k step {i}: ours {a}, llama.cpp {b}, our gap {mine[a] - mine[b]} is no near-tie");
            generated.Add(a);
            mine = state.DecodeStep(a).ToArray();
            theirs = peer.DecodeStep(a).ToArray();
            plain = exact.DecodeStep(a).ToArray();
        }
        output.WriteLine($"q4_k: worst relative logit difference ours/llama.cpp {worst:E2}, llama.cpp/float {theirsVsFloat:E2}, ours/float {oursVsFloat:E2}; " +
            $"greedy picks identical at {same} of {steps} steps: {tok.Decode([.. prompt, .. generated])}");
        Assert.True(same >= steps - 3, $"greedy picks identical at only {same} of {steps} steps");
    }
}
