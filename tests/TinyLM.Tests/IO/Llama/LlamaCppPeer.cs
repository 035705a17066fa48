using System.Numerics.Tensors;
using TinyLM.Bench.LlamaCpp;
using TinyLM.Models;

namespace TinyLM.Tests.IO.Llama;

/// <summary>What every test that runs llama.cpp beside our decoder needs: the opt-out, and the side-by-side greedy walk.</summary>
internal static class LlamaCppPeer
{
    /// <summary>
    /// False when TINYLM_SKIP_LLAMACPP=1 (a platform LLamaSharp ships no native library for); otherwise fails the test,
    /// with the reason, if llama.cpp cannot load.
    /// </summary>
    public static bool ShouldRun()
    {
        if (Environment.GetEnvironmentVariable("TINYLM_SKIP_LLAMACPP") == "1") return false;
        if (LlamaCppSession.LoadError() is { } error)
            Assert.Fail(error + " (set TINYLM_SKIP_LLAMACPP=1 to leave the llama.cpp checks out)");
        return true;
    }

    /// <summary>Largest |difference| over the largest |logit| of <paramref name="theirs"/>: per-element relative error is meaningless near zero.</summary>
    public static double RelativeDifference(ReadOnlySpan<float> ours, ReadOnlySpan<float> theirs)
    {
        double maxDiff = 0, scale = 0;
        for (int i = 0; i < theirs.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - theirs[i]));
            scale = Math.Max(scale, Math.Abs(theirs[i]));
        }
        return maxDiff / scale;
    }

    /// <summary>
    /// Prefills <paramref name="prompt"/> on both sides, then decodes <paramref name="count"/> greedy tokens, asserting at
    /// every step that both pick the same one. Returns the worst relative logit difference seen and our tokens.
    /// </summary>
    public static (double Worst, int[] Generated) AssertSameGreedyTokens(CausalLMRunState state, LlamaCppSession peer,
        int[] prompt, int count, string label)
    {
        float[] theirs = peer.Prefill(prompt);
        ReadOnlySpan<float> mine = state.Prefill(prompt);
        double worst = 0;
        var generated = new int[count];
        for (int i = 0; i < count; i++)
        {
            worst = Math.Max(worst, RelativeDifference(mine, theirs));
            int a = TensorPrimitives.IndexOfMax(mine), b = TensorPrimitives.IndexOfMax(theirs);
            generated[i] = a;
            Assert.True(a == b, $"{label} greedy step {i}: ours {a}, llama.cpp {b} (worst relative logit difference so far {worst:E2})");
            mine = state.DecodeStep(a);
            theirs = peer.DecodeStep(b).ToArray();
        }
        return (worst, generated);
    }
}
