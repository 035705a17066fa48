using System.Numerics.Tensors;
using TinyLM.Bench.LlamaCpp;
using TinyLM.Models;

namespace TinyLM.Tests.IO.Llama;

/// <summary>What every test that runs llama.cpp beside our decoder needs: the opt-out, and the side-by-side greedy walk.</summary>
internal static class LlamaCppPeer
{
    /// <summary>
    /// How far two float32 computations of the same logits may drift apart through summation order alone
    /// (llama.cpp's AVX2 or AVX-512 build against our scalar, v256 or v512 kernels), relative to the largest |logit|.
    /// </summary>
    public const double Float32OrderTolerance = 1e-3;

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

    /// <summary>What a greedy walk beside llama.cpp saw.</summary>
    public sealed record GreedyWalk(double WorstDifference, int[] Generated, int NearTies);

    /// <summary>
    /// Prefills <paramref name="prompt"/> on both sides, then decodes <paramref name="count"/> greedy tokens. Both sides are
    /// fed our token at every step, so a single near-tie cannot derail the rest of the comparison.
    /// <para>
    /// llama.cpp rounds every matmul input to q8_0 (half a step, at most |x|max/254 per block of 32). Ours either does
    /// not (float decoder on the dequantized weights) or does the same rounding but after float sums taken in another
    /// order, so single roundings may fall on the other side of a half step. <paramref name="otherRounding"/> is our
    /// decoder on the same weights with the other choice, fed the same tokens: how far its logits are from
    /// <paramref name="state"/>'s measures, at this step, what the q8_0 rounding moves. llama.cpp's logits may differ from
    /// ours by twice that (each of its roundings may fall either side) plus <see cref="Float32OrderTolerance"/>, relative
    /// to the largest |logit|.
    /// </para>
    /// llama.cpp's greedy token must be ours, except where its own top two logits lie within the step's tolerance: the
    /// two computations cannot be told apart there (a near-tie), which is counted, not failed.
    /// </summary>
    public static GreedyWalk AssertGreedyWalk(CausalLMRunState state, LlamaCppSession peer, int[] prompt, int count,
        string label, CausalLMRunState otherRounding)
    {
        float[] theirs = peer.Prefill(prompt);
        ReadOnlySpan<float> mine = state.Prefill(prompt);
        ReadOnlySpan<float> other = otherRounding.Prefill(prompt);
        double worst = 0;
        int nearTies = 0;
        var generated = new int[count];
        for (int i = 0; i < count; i++)
        {
            double tolerance = Float32OrderTolerance + 2 * RelativeDifference(mine, other);
            double rel = RelativeDifference(mine, theirs);
            worst = Math.Max(worst, rel);
            Assert.True(rel <= tolerance, $"{label} step {i}: logits differ by {rel:E2} relative (tolerance {tolerance:E2})");
            int a = TensorPrimitives.IndexOfMax(mine), b = TensorPrimitives.IndexOfMax(theirs);
            if (a != b)
            {
                double gap = (theirs[b] - theirs[a]) / TensorPrimitives.MaxMagnitude(theirs);
                Assert.True(gap <= tolerance,
                    $"{label} greedy step {i}: ours {a}, llama.cpp {b}, whose logits for the two differ by {gap:E2} relative (tolerance {tolerance:E2})");
                nearTies++;
            }
            generated[i] = a;
            mine = state.DecodeStep(a);
            theirs = peer.DecodeStep(a).ToArray();
            other = otherRounding.DecodeStep(a);
        }
        return new GreedyWalk(worst, generated, nearTies);
    }
}
