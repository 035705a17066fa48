using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// llama's gated MLP: (…, C) → w2(silu(w1·x) ⊙ w3·x) → (…, C). Parameters keep Meta's names <c>w1</c> (hidden, C),
/// <c>w2</c> (C, hidden), <c>w3</c> (hidden, C), so llama2.c and GGUF tensors map one to one
/// (ffn_gate, ffn_down, ffn_up).
/// </summary>
public sealed class SwiGluFeedForward : Module, ILayer
{
    /// <summary>Gate projection (hidden, C).</summary>
    public Linear W1 { get; }

    /// <summary>Down projection (C, hidden).</summary>
    public Linear W2 { get; }

    /// <summary>Up projection (hidden, C).</summary>
    public Linear W3 { get; }

    /// <summary>A gated MLP with <paramref name="hiddenDim"/> hidden units.</summary>
    public SwiGluFeedForward(int modelDim, int hiddenDim, Rng rng, bool bias = false)
    {
        W1 = RegisterModule("w1", new Linear(modelDim, hiddenDim, rng, bias));
        W2 = RegisterModule("w2", new Linear(hiddenDim, modelDim, rng, bias));
        W3 = RegisterModule("w3", new Linear(modelDim, hiddenDim, rng, bias));
    }

    /// <summary>(…, C) → (…, C).</summary>
    public Tensor Forward(Tensor input) => W2.Forward(W1.Forward(input).Silu().Mul(W3.Forward(input))); // (…, C)
}
