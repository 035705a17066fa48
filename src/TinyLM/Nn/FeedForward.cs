using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// The transformer's position-wise MLP: (…, C) → c_fc → activation (GELU by default) → c_proj → (…, C).
/// Parameter names follow nanoGPT (<c>c_fc</c>, <c>c_proj</c>).
/// </summary>
public sealed class FeedForward : Module, ILayer
{
    private readonly ActivationKind _activation;

    /// <summary>The activation between the two layers.</summary>
    public ActivationKind Activation => _activation;

    /// <summary>(hidden, C).</summary>
    public Linear Fc { get; }

    /// <summary>(C, hidden).</summary>
    public Linear Proj { get; }

    /// <summary>An MLP with <paramref name="hiddenDim"/> hidden units.</summary>
    public FeedForward(int modelDim, int hiddenDim, Rng rng, ActivationKind activation = ActivationKind.Gelu, bool bias = true)
    {
        _activation = activation;
        Fc = RegisterModule("c_fc", new Linear(modelDim, hiddenDim, rng, bias));
        Proj = RegisterModule("c_proj", new Linear(hiddenDim, modelDim, rng, bias));
    }

    /// <summary>(…, C) → (…, C).</summary>
    public Tensor Forward(Tensor input) => Proj.Forward(Nn.Activation.Apply(Fc.Forward(input), _activation)); // (…, C)
}
