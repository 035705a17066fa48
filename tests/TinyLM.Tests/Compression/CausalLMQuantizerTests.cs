using System.Numerics.Tensors;
using TinyLM.Cli;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Cli;
using TinyLM.Tests.IO.Llama;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Compression;

public class CausalLMQuantizerTests
{
    private const string Prompt = "the cat sat on the mat and one cat";

    private static TokenizedCausalLM TrainedLlama(out LlamaTokenizer tok)
    {
        tok = LlamaFixtures.Tokenizer();
        return new TokenizedCausalLM(LlamaFixtures.Trained(tok, layers: 2, steps: 40).Model, tok) { BosId = 1 };
    }

    // A GPT-family model (LayerNorm, learned positions, GELU MLP, biases, tied output) with random weights.
    private static TokenizedCausalLM Gpt(int embed = 64)
    {
        var text = "to be or not to be, that is the question: whether 'tis nobler in the mind to suffer";
        var tok = CharTokenizer.Fit(text);
        var config = CausalLMConfig.NanoGptShakespeareCpu with { VocabSize = tok.VocabSize, EmbedDim = embed, Layers = 2, Heads = 2, ContextLength = 32, Seed = 3 };
        return new TokenizedCausalLM(new CausalLM(config), tok);
    }

    private static float RelativeDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff = MathF.Max(diff, MathF.Abs(a[i] - b[i]));
            scale = MathF.Max(scale, MathF.Abs(b[i]));
        }
        return diff / scale;
    }

    [Theory]
    [InlineData(QuantizationType.Q8_0, 0.02)]
    [InlineData(QuantizationType.Q4_0, 0.15)]
    public void Quantized_decode_tracks_the_float_model_and_its_own_weights(QuantizationType type, double tolerance)
    {
        var lm = TrainedLlama(out var tok);
        var result = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = type });
        var q = result.Model.Model;
        Assert.True(q.HasQuantizedWeights);
        Assert.False(lm.Model.HasQuantizedWeights); // the input is untouched
        // Every matrix (tied output included) is quantized; norms are not in the report.
        Assert.Equal(2 * 7 + 1, result.Layers.Count);
        Assert.All(result.Layers, l => Assert.Equal(type.ToName(), l.Format));
        Assert.Contains(result.Layers, l => l.Name == "tok_embeddings.weight");

        // The float weights of the copy hold the dequantized values: the same model without its matrices is the
        // weight-only reference, which differs from the quantized kernels only by the Q8_0 activations.
        var floatCopy = new CausalLM(q.Config);
        foreach (var (name, p) in q.NamedParameters()) p.AsSpan().CopyTo(floatCopy.NamedParameters().First(n => n.Key == name).Value.AsSpan());
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        var quantized = q.CreateRunState();
        var weightOnly = floatCopy.CreateRunState();
        var original = lm.Model.CreateRunState();
        float[] a = quantized.Prefill(prompt).ToArray(), b = weightOnly.Prefill(prompt).ToArray(), c = original.Prefill(prompt).ToArray();
        Assert.True(RelativeDifference(a, b) < 0.02, $"activation quantization moved the logits by {RelativeDifference(a, b)}");
        Assert.True(RelativeDifference(a, c) < tolerance, $"{type} moved the logits by {RelativeDifference(a, c)}");
        for (int i = 0; i < 8; i++)
        {
            int next = TensorPrimitives.IndexOfMax(c);
            a = quantized.DecodeStep(next).ToArray();
            c = original.DecodeStep(next).ToArray();
            Assert.True(RelativeDifference(a, c) < tolerance, $"{type} step {i}: logits moved by {RelativeDifference(a, c)}");
        }
    }

    [Fact]
    public void Q8_0_greedy_continuation_equals_float32_on_a_trained_model()
    {
        var lm = TrainedLlama(out var tok);
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Q8_0 }).Model.Model;
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        // Equal token for token, except that at a near tie of the float model's top two logits (a margin within
        // Q8_0 noise) the quantized model may take the other one; the sequences part there.
        var reference = lm.Model.CreateRunState();
        var quantized = q.CreateRunState();
        var f = reference.Prefill(prompt).ToArray();
        var g = quantized.Prefill(prompt).ToArray();
        for (int i = 0; i < 32; i++)
        {
            int a = TensorPrimitives.IndexOfMax(f), b = TensorPrimitives.IndexOfMax(g);
            if (a != b)
            {
                Assert.True(f[a] - f[b] < 0.02f * (1f + MathF.Abs(f[a])), $"step {i}: float picks {a} ({f[a]}), q8_0 picks {b} (float logit {f[b]})");
                break;
            }
            f = reference.DecodeStep(a).ToArray();
            g = quantized.DecodeStep(b).ToArray();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Negative_log_likelihood_on_the_run_state_equals_the_training_loss(bool gpt)
    {
        var lm = gpt ? Gpt() : TrainedLlama(out _);
        lm.Model.Eval();
        var rng = new Random(9);
        int n = Math.Min(lm.Model.Config.ContextLength, 20) + 1;
        var ids = Enumerable.Range(0, n).Select(_ => rng.Next(lm.Tokenizer.VocabSize)).ToArray();
        using var noGrad = TinyLM.Tensors.Tensor.NoGrad();
        float loss = lm.Model.Loss(new IntTensor(ids[..^1], 1, n - 1), new IntTensor(ids[1..], 1, n - 1)).Item();
        double nll = lm.Model.CreateRunState().NegativeLogLikelihood(ids) / (n - 1);
        Assert.Equal(loss, nll, 4);
        Assert.Throws<ArgumentException>(() => lm.Model.CreateRunState().NegativeLogLikelihood([1]));
    }

    [Fact]
    public void Gpt_models_quantize_with_biases_and_learned_positions_and_narrow_layers_stay_float()
    {
        var lm = Gpt();
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Q4_0 });
        Assert.DoesNotContain(q.Layers, l => l.Name.Contains("pos_embeddings", StringComparison.Ordinal));
        var ids = lm.Tokenizer.Encode("to be or not to be");
        float[] a = q.Model.Model.CreateRunState().Prefill(ids).ToArray(), b = lm.Model.CreateRunState().Prefill(ids).ToArray();
        Assert.True(RelativeDifference(a, b) < 0.2);

        var narrow = CausalLMQuantizer.Quantize(Gpt(embed: 48), new CausalLMQuantizationOptions { Type = QuantizationType.Q8_0 });
        var attention = narrow.Layers.First(l => l.Name == "layers.0.attention.wq.weight");
        Assert.Equal("f32", attention.Format);
        Assert.Contains("multiple of 32", attention.Reason, StringComparison.Ordinal);
        var strict = CausalLMQuantizer.Quantize(Gpt(), new CausalLMQuantizationOptions { Type = QuantizationType.Q4_0, MaxLayerError = 0.01 });
        Assert.All(strict.Layers, l => Assert.Contains("kept float32", l.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Quantizing_twice_or_to_int8_is_refused()
    {
        var lm = TrainedLlama(out _);
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions()).Model;
        Assert.Throws<InvalidOperationException>(() => CausalLMQuantizer.Quantize(q, new CausalLMQuantizationOptions()));
        Assert.Throws<ArgumentException>(() => CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Int8 }));
    }

    [Theory]
    [InlineData(QuantizationType.Q8_0)]
    [InlineData(QuantizationType.Q4_0)]
    public void Quantized_files_round_trip_the_blocks_and_the_logits_bit_for_bit(QuantizationType type)
    {
        using var dir = new ScratchDir();
        var lm = TrainedLlama(out var tok);
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = type }).Model;
        string floatPath = dir.File("f.tlm"), path = dir.File("q.tlm");
        lm.Save(floatPath);
        q.Save(path);
        Assert.False(CausalLMFile.Load(floatPath).Model.HasQuantizedWeights);
        var back = CausalLMFile.Load(path);
        Assert.True(back.Model.HasQuantizedWeights);
        foreach (var (name, matrix) in q.Model.NamedWeightFormats())
            Assert.Equal(((BlockMatrix)matrix).Data, ((BlockMatrix)back.Model.WeightFormatOf(name)!).Data);
        Assert.True(new FileInfo(path).Length * (type == QuantizationType.Q8_0 ? 2.5 : 4.0) < new FileInfo(floatPath).Length);
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        Assert.Equal(q.Model.CreateRunState().Prefill(prompt).ToArray(), back.Model.CreateRunState().Prefill(prompt).ToArray());
    }

    [Theory]
    [InlineData(QuantizationType.Q8_0, GgmlType.Q8_0, 7u)]
    [InlineData(QuantizationType.Q4_0, GgmlType.Q4_0, 2u)]
    public void Gguf_export_carries_the_blocks_verbatim(QuantizationType type, GgmlType ggml, uint fileType)
    {
        using var dir = new ScratchDir();
        var lm = TrainedLlama(out _);
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = type }).Model;
        string tlm = dir.File("q.tlm"), gguf = dir.File("q.gguf");
        q.Save(tlm);
        Assert.Equal(0, CliRunner.Run("export", "gguf", tlm, "--out", gguf).Exit);
        var file = GgufFile.Read(gguf);
        Assert.Equal(fileType, file.Get<uint>("general.file_type"));
        Assert.Equal(ggml, file.GetInfo("blk.1.ffn_down.weight").Type);
        Assert.Equal(ggml, file.GetInfo("token_embd.weight").Type);
        Assert.Equal(GgmlType.F32, file.GetInfo("blk.0.attn_norm.weight").Type);
        // Read back, the GGUF's weights are the quantized model's dequantized weights exactly.
        var deq = ((BlockMatrix)q.Model.WeightFormatOf("layers.1.feed_forward.w2.weight")!).Dequantize();
        Assert.Equal(deq, file.ReadFloats("blk.1.ffn_down.weight"));
        // Another format would quantize twice: refused, nothing written.
        string other = dir.File("other.gguf");
        Assert.Equal(2, CliRunner.Run("export", "gguf", tlm, "--out", other, "--type", type == QuantizationType.Q8_0 ? "q4_0" : "q8_0").Exit);
        Assert.False(File.Exists(other));
    }

    [Fact]
    public void Quantize_cli_reports_before_and_after_for_a_language_model()
    {
        using var dir = new ScratchDir();
        var lm = Gpt();
        string input = dir.File("lm.tlm"), output = dir.File("lm.q8.tlm"), text = dir.File("eval.txt");
        lm.Save(input);
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("to be or not to be, that is the question: ", 8)));
        var (exit, stdout, stderr) = CliRunner.Run("quantize", input, "--out", output, "--type", "q8_0", "--eval", text, "--json");
        Assert.True(exit == 0, stderr);
        using var json = System.Text.Json.JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = json.RootElement;
        foreach (var side in new[] { "before", "after" })
        {
            var m = root.GetProperty(side);
            Assert.True(m.GetProperty("bytes").GetInt64() > 0);
            Assert.True(m.GetProperty("val_loss").GetDouble() > 0);
            Assert.True(m.GetProperty("latency_ms_batch1").GetDouble() > 0);
            Assert.True(m.GetProperty("throughput_batch64").GetDouble() > 0);
        }
        Assert.True(root.GetProperty("after").GetProperty("bytes").GetInt64() < root.GetProperty("before").GetProperty("bytes").GetInt64());
        Assert.True(CausalLMFile.Load(output).Model.HasQuantizedWeights);
        // Already quantized, or int8 for a language model: refused.
        Assert.NotEqual(0, CliRunner.Run("quantize", output, "--out", dir.File("again.tlm"), "--type", "q8_0").Exit);
        Assert.Equal(2, CliRunner.Run("quantize", input, "--out", dir.File("int8.tlm"), "--type", "int8").Exit);
        Assert.False(File.Exists(dir.File("again.tlm")));
    }

    // Quantization is a weight format of the layers: the training-path Forward runs the same q8_0 matrices as the
    // decode state (the last row of Forward equals the prefill logits up to rounding), and training refuses them.
    [Fact]
    public void A_quantized_model_runs_its_formats_on_both_paths_and_refuses_training()
    {
        var lm = TrainedLlama(out var tok);
        var q = CausalLMQuantizer.Quantize(lm, new CausalLMQuantizationOptions { Type = QuantizationType.Q8_0 }).Model.Model;
        Assert.NotNull(q.WeightFormatOf("layers.0.attention.wq.weight"));
        Assert.Null(q.WeightFormatOf("layers.0.attention_norm.weight"));
        int[] prompt = tok.Encode(Prompt, addBos: true, addEos: false);
        float[] decoded = q.CreateRunState().Prefill(prompt).ToArray();
        float[] forward;
        using (TinyLM.Tensors.Tensor.NoGrad())
        {
            var logits = q.Forward(new IntTensor(prompt, 1, prompt.Length)).ToArray();
            forward = logits.AsSpan(logits.Length - decoded.Length).ToArray();
        }
        Assert.True(RelativeDifference(forward, decoded) < 1e-4, $"Forward and the decode state differ by {RelativeDifference(forward, decoded)}");
        // The float model's Forward differs from the quantized one by at least the activation rounding.
        float[] floatRow;
        using (TinyLM.Tensors.Tensor.NoGrad())
        {
            var logits = lm.Model.Forward(new IntTensor(prompt, 1, prompt.Length)).ToArray();
            floatRow = logits.AsSpan(logits.Length - decoded.Length).ToArray();
        }
        Assert.True(RelativeDifference(floatRow, decoded) > 1e-5);

        var (_, ids) = CausalLMData.Tokenize(string.Concat(Enumerable.Repeat(Prompt + " ", 20)), "char");
        var data = new CausalLMData(ids, 16);
        var error = Assert.Throws<InvalidOperationException>(() =>
            new CausalLMTrainer(q, TrainOptions.ForCausalLM with { Steps = 2, BatchSize = 2 }).Fit(data));
        Assert.Contains("quantized", error.Message, StringComparison.Ordinal);
    }
}
