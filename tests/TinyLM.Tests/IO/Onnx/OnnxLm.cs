using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TinyLM.IO.Onnx;
using TinyLM.Models;
using Rng = TinyLM.Tensors.Rng;
using IntTensor = TinyLM.Tensors.IntTensor;

namespace TinyLM.Tests.IO.Onnx;

/// <summary>Runs an exported causal LM in ONNX Runtime (whole sequences, and greedy decoding through the past-KV inputs) and ours.</summary>
internal static class OnnxLm
{
    /// <summary>
    /// Redraws every weight with a larger spread than the initialisation (matrices N(0, 0.3), norm scales 1 ± 0.1,
    /// biases N(0, 0.1)), so next-token distributions are peaked and greedy choices are not decided by rounding.
    /// </summary>
    public static T Spread<T>(T model, ulong seed) where T : TinyLM.Nn.Module
    {
        var rng = new Rng(seed);
        foreach (var (name, p) in model.NamedParameters())
        {
            rng.Normal(p.AsSpan(), 0f, p.Rank == 2 ? 0.3f : 0.1f);
            if (p.Rank == 1 && name.EndsWith(".weight", StringComparison.Ordinal)) // norm scales (biases end in .bias)
                foreach (ref float w in p.AsSpan()) w += 1f;
        }
        return model;
    }

    /// <summary>ONNX Runtime's logits (B·T·V) for ids (B, T) with an empty past.</summary>
    public static float[] Logits(InferenceSession session, CausalLMConfig config, long[] ids, int b, int t)
    {
        using var results = session.Run(Inputs(config, ids, b, t, null));
        return results.Single(r => r.Name == "logits").AsTensor<float>().ToArray();
    }

    /// <summary>
    /// ONNX Runtime's logits (1·T₂·V) for <paramref name="second"/> run after <paramref name="first"/>: the first chunk
    /// with an empty past, the second with the first's presents (a prompt prefilled in two pieces).
    /// </summary>
    public static float[] LogitsInTwoChunks(InferenceSession session, CausalLMConfig config, long[] first, long[] second)
    {
        using var results = session.Run(Inputs(config, first, 1, first.Length, null));
        var past = new Dictionary<int, (DenseTensor<float> K, DenseTensor<float> V)>();
        for (int i = 0; i < config.Layers; i++)
            past[i] = (results.Single(r => r.Name == $"present.{i}.key").AsTensor<float>().ToDenseTensor(),
                results.Single(r => r.Name == $"present.{i}.value").AsTensor<float>().ToDenseTensor());
        using var next = session.Run(Inputs(config, second, 1, second.Length, past));
        return next.Single(r => r.Name == "logits").AsTensor<float>().ToArray();
    }

    /// <summary>Our logits (B·T·V) for the same ids, in evaluation mode.</summary>
    public static float[] OurLogits(CausalLM model, long[] ids, int b, int t)
    {
        model.Eval();
        using var noGrad = TinyLM.Tensors.Tensor.NoGrad();
        return model.Forward(new IntTensor([.. ids.Select(i => (int)i)], b, t)).ToArray();
    }

    /// <summary>
    /// Greedy continuation of <paramref name="prompt"/> by <paramref name="steps"/> tokens through the past-KV graph:
    /// the prompt with an empty past, then one token at a time with the presents fed back. Also returns the logits
    /// of every step, and the smallest gap between the best and second-best logit (how close a choice came to a tie).
    /// </summary>
    public static (int[] Tokens, List<float[]> StepLogits) GreedyOnnx(InferenceSession session, CausalLMConfig config, int[] prompt, int steps)
    {
        var tokens = new List<int>();
        var stepLogits = new List<float[]>();
        long[] feed = [.. prompt.Select(i => (long)i)];
        Dictionary<int, (DenseTensor<float> K, DenseTensor<float> V)>? past = null;
        for (int s = 0; s < steps; s++)
        {
            using var results = session.Run(Inputs(config, feed, 1, feed.Length, past));
            var logits = results.Single(r => r.Name == "logits").AsTensor<float>().ToArray();
            var last = logits.AsSpan((feed.Length - 1) * config.VocabSize, config.VocabSize).ToArray();
            stepLogits.Add(last);
            int next = ArgMax(last);
            tokens.Add(next);
            past = [];
            for (int i = 0; i < config.Layers; i++)
                past[i] = (results.Single(r => r.Name == $"present.{i}.key").AsTensor<float>().ToDenseTensor(),
                    results.Single(r => r.Name == $"present.{i}.value").AsTensor<float>().ToDenseTensor());
            feed = [next];
        }
        return ([.. tokens], stepLogits);
    }

    /// <summary>Ours: the same greedy continuation through the KV-cached run state.</summary>
    public static (int[] Tokens, List<float[]> StepLogits) GreedyOurs(CausalLM model, int[] prompt, int steps)
    {
        model.Eval();
        var state = model.CreateRunState();
        var tokens = new List<int>();
        var stepLogits = new List<float[]>();
        var logits = state.Prefill(prompt).ToArray();
        for (int s = 0; s < steps; s++)
        {
            stepLogits.Add(logits);
            int next = ArgMax(logits);
            tokens.Add(next);
            if (s + 1 < steps) logits = state.DecodeStep(next).ToArray();
        }
        return ([.. tokens], stepLogits);
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>Best minus second-best logit.</summary>
    public static float Margin(float[] x)
    {
        var sorted = x.OrderDescending().ToArray();
        return sorted[0] - sorted[1];
    }

    private static List<NamedOnnxValue> Inputs(CausalLMConfig config, long[] ids, int b, int t,
        Dictionary<int, (DenseTensor<float> K, DenseTensor<float> V)>? past)
    {
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, [b, t])) };
        for (int i = 0; i < config.Layers; i++)
        {
            var empty = new DenseTensor<float>(Array.Empty<float>(), [b, config.ResolvedKvHeads, 0, config.HeadDim]);
            inputs.Add(NamedOnnxValue.CreateFromTensor($"past_key_values.{i}.key", past?[i].K ?? empty));
            inputs.Add(NamedOnnxValue.CreateFromTensor($"past_key_values.{i}.value", past?[i].V ?? empty));
        }
        return inputs;
    }
}
