using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>Elementwise nonlinearities available as layers.</summary>
public enum ActivationKind
{
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>GELU (tanh approximation, GPT-2).</summary>
    Gelu,
    /// <summary>tanh.</summary>
    Tanh,
    /// <summary>logistic sigmoid.</summary>
    Sigmoid,
    /// <summary>x·sigmoid(x) (llama's SwiGLU gate).</summary>
    Silu,
    /// <summary>Exact GELU x·Φ(x) (PyTorch's nn.GELU(), nanoGPT); see <see cref="ExactGelu"/>.</summary>
    GeluExact,
}

/// <summary>A parameter-free activation layer, for <see cref="Sequential"/>.</summary>
public sealed class Activation(ActivationKind kind) : Module, ILayer
{
    /// <summary>Which function.</summary>
    public ActivationKind Kind { get; } = kind;

    /// <summary>Applies the activation elementwise.</summary>
    public Tensor Forward(Tensor input) => Apply(input, Kind);

    /// <summary>Applies <paramref name="kind"/> to <paramref name="x"/>.</summary>
    public static Tensor Apply(Tensor x, ActivationKind kind)
    {
        ArgumentNullException.ThrowIfNull(x);
        return kind switch
        {
            ActivationKind.Relu => x.Relu(),
            ActivationKind.Gelu => x.Gelu(),
            ActivationKind.Tanh => x.Tanh(),
            ActivationKind.Sigmoid => x.Sigmoid(),
            ActivationKind.Silu => x.Silu(),
            ActivationKind.GeluExact => ExactGelu.Apply(x),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Activation: unknown kind."),
        };
    }
}
