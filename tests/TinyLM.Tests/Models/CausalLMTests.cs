using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Models;

public class CausalLMTests
{
    /// <summary>Tiny configs of both families; the llama one uses GQA (2 query heads per kv head).</summary>
    public static CausalLMConfig Gpt => CausalLMConfig.NanoGptShakespeareCpu with
    {
        VocabSize = 11, ContextLength = 9, Layers = 2, Heads = 2, EmbedDim = 8, Seed = 3,
    };

    public static CausalLMConfig Llama => CausalLMConfig.Stories15M with
    {
        VocabSize = 13, ContextLength = 10, Layers = 2, Heads = 4, KvHeads = 2, EmbedDim = 16, HiddenDim = 20, Seed = 5, TieWeights = false,
    };

    /// <summary>GPT-2 style: biases and the tanh GELU (nanoGPT's preset has neither).</summary>
    public static CausalLMConfig Gpt2 => Gpt with { Bias = true, ExactGelu = false };

    /// <summary>The GPT block (LayerNorm, GELU) with rotary instead of learned positions and an untied output (train lm's default).</summary>
    public static CausalLMConfig GptRope => Gpt with { Positions = PositionKind.Rotary, TieWeights = false };

    public static TheoryData<string> Families => new() { "gpt", "gpt2", "gpt-rope", "llama" };

    internal static CausalLMConfig ConfigOf(string family) => family switch { "gpt" => Gpt, "gpt2" => Gpt2, "gpt-rope" => GptRope, _ => Llama };

    /// <summary>A model with larger random weights than the GPT init, so every path matters numerically.</summary>
    internal static CausalLM Randomised(CausalLMConfig config, float scale = 0.4f)
    {
        var model = new CausalLM(config);
        var rng = new Rng(config.Seed + 100);
        foreach (var p in model.Parameters())
        {
            var s = p.AsSpan();
            rng.Normal(s, 0f, scale);
            if (p.Rank == 1 && !(p.Name ?? "").Contains("bias", StringComparison.Ordinal))
                for (int i = 0; i < s.Length; i++) s[i] += 1f; // norm scales near 1
        }
        model.Eval();
        return model;
    }

    private static int[] Ids(int n, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rng.NextInt(vocab);
        return ids;
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void ForwardMatchesFloat64Reference(string family)
    {
        var cfg = ConfigOf(family);
        var model = Randomised(cfg);
        var ids = Ids(2 * cfg.ContextLength, cfg.VocabSize, 7);
        float[] logits;
        using (Tensor.NoGrad()) logits = model.Forward(new IntTensor(ids, 2, cfg.ContextLength)).ToArray(); // (2, T, V)
        for (int b = 0; b < 2; b++)
        {
            var reference = CausalLMReference.Logits(model, ids[(b * cfg.ContextLength)..((b + 1) * cfg.ContextLength)]);
            for (int t = 0; t < cfg.ContextLength; t++)
                for (int v = 0; v < cfg.VocabSize; v++)
                {
                    double expected = reference[t][v], actual = logits[(b * cfg.ContextLength + t) * cfg.VocabSize + v];
                    Assert.True(Math.Abs(expected - actual) <= 1e-4 * (1 + Math.Abs(expected)), $"b{b} t{t} v{v}: {actual} vs {expected}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void GradientsMatchFiniteDifferences(string family)
    {
        var cfg = ConfigOf(family) with { Layers = 1, ContextLength = 4, VocabSize = 6 };
        var model = Randomised(cfg, 0.3f);
        var ids = new IntTensor(Ids(2 * 4, cfg.VocabSize, 9), 2, 4);
        GradCheck.Check(_ => model.Forward(ids), [.. model.Parameters()]);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void CachedDecodeMatchesFullForward(string family)
    {
        var cfg = ConfigOf(family);
        var model = Randomised(cfg);
        var ids = Ids(cfg.ContextLength, cfg.VocabSize, 11);
        float[] full;
        using (Tensor.NoGrad()) full = model.Forward(new IntTensor(ids, 1, ids.Length)).ToArray(); // (1, T, V)
        int v = cfg.VocabSize;
        foreach (int threads in new[] { 1, 2 })
        {
            int saved = Threading.MaxThreads;
            Threading.MaxThreads = threads;
            try
            {
                var state = model.CreateRunState();
                // Prefill 3 tokens at once (GEMM path), then decode one at a time (GEMV path).
                var logits = state.Prefill(ids.AsSpan(0, 3)).ToArray();
                AssertClose(full.AsSpan(2 * v, v), logits, "prefill");
                for (int t = 3; t < ids.Length; t++)
                    AssertClose(full.AsSpan(t * v, v), state.DecodeStep(ids[t]).ToArray(), $"step {t}");
                Assert.Equal(ids.Length, state.Position);
                // Decoding one token at a time from the start gives the same logits too.
                state.Reset();
                for (int t = 0; t < ids.Length; t++)
                    AssertClose(full.AsSpan(t * v, v), state.DecodeStep(ids[t]).ToArray(), $"restart step {t}");
            }
            finally
            {
                Threading.MaxThreads = saved;
            }
        }
    }

    [Fact]
    public void PromptLongerThanContextFailsClearly()
    {
        var model = Randomised(Gpt);
        var state = model.CreateRunState();
        var e = Assert.Throws<ArgumentException>(() => state.Prefill(new int[Gpt.ContextLength + 1]));
        Assert.Contains("context length", e.Message);
        state.Prefill(new int[Gpt.ContextLength]);
        Assert.Throws<InvalidOperationException>(() => state.DecodeStep(0));
        Assert.Throws<ArgumentException>(() => model.Forward(new IntTensor(new int[Gpt.ContextLength + 1], 1, Gpt.ContextLength + 1)));
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateRunState().DecodeStep(Gpt.VocabSize));
        Assert.Contains("vocabulary", bad.Message);
    }

    [Theory]
    [InlineData("gpt")]
    [InlineData("llama")]
    public void ZeroInitResidualZeroesOnlyTheBlockOutputProjections(string family)
    {
        var plain = new CausalLM(ConfigOf(family));
        var zeroed = new CausalLM(ConfigOf(family) with { ZeroInitResidual = true });
        var reference = plain.NamedParameters().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        int zeroedCount = 0;
        foreach (var (name, p) in zeroed.NamedParameters())
        {
            bool residual = name.EndsWith("wo.weight", StringComparison.Ordinal) || name.EndsWith("c_proj.weight", StringComparison.Ordinal)
                            || name.EndsWith("w2.weight", StringComparison.Ordinal);
            if (residual)
            {
                zeroedCount++;
                Assert.All(p.ToArray(), v => Assert.Equal(0f, v));
                Assert.Contains(reference[name], v => v != 0f);
            }
            else Assert.Equal(reference[name], p.ToArray());
        }
        Assert.Equal(2 * ConfigOf(family).Layers, zeroedCount);
    }

    [Fact]
    public void ParameterNamesAreLlamaStyle()
    {
        var names = new CausalLM(Llama).NamedParameters().Select(p => p.Key).ToHashSet();
        foreach (var expected in new[]
                 {
                     "tok_embeddings.weight", "layers.0.attention_norm.weight", "layers.0.attention.wq.weight", "layers.1.attention.wk.weight",
                     "layers.0.attention.wv.weight", "layers.0.attention.wo.weight", "layers.0.ffn_norm.weight", "layers.0.feed_forward.w1.weight",
                     "layers.0.feed_forward.w2.weight", "layers.0.feed_forward.w3.weight", "norm.weight", "output.weight",
                 })
            Assert.Contains(expected, names);
        Assert.DoesNotContain(names, n => n.EndsWith(".bias", StringComparison.Ordinal));
        var gpt = new CausalLM(Gpt).NamedParameters().Select(p => p.Key).ToHashSet();
        Assert.Contains("pos_embeddings.weight", gpt);
        Assert.DoesNotContain("output.weight", gpt); // tied
    }

    [Fact]
    public void Stories15MHasTheLlama2cParameterCount()
    {
        // llama2.c's stories15M: 15,191,712 parameters with the shared classifier (no rope tables counted).
        Assert.Equal(15_191_712, new CausalLM(CausalLMConfig.Stories15M).ParameterCount());
    }

    private static void AssertClose(ReadOnlySpan<float> expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{what} logit {i}: {actual[i]} vs {expected[i]}");
    }
}
