using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), PyTorch's AdamW: p ← p·(1 − lr·wd) and then the
/// Adam step on the raw gradient. Defaults as PyTorch: lr 1e-3, β = 0.9/0.999, ε = 1e-8, weight decay 0.01.
/// Pass <see cref="Optimizer.DecayMatricesOnly"/> to keep biases and norm scales undecayed.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over named parameters.</summary>
    public AdamW(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 1e-2f, Func<string, Tensor, bool>? applyWeightDecay = null)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, applyWeightDecay, decoupled: true) { }

    /// <summary>AdamW over a module's parameters.</summary>
    public AdamW(Module module, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 1e-2f, Func<string, Tensor, bool>? applyWeightDecay = null)
        : base(module?.NamedParameters() ?? throw new ArgumentNullException(nameof(module)), learningRate, beta1, beta2, eps, weightDecay, applyWeightDecay, decoupled: true) { }

    /// <summary>AdamW over unnamed parameters (keys <c>p{i}</c>).</summary>
    public AdamW(IEnumerable<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f)
        : base(Named(parameters), learningRate, beta1, beta2, eps, weightDecay, null, decoupled: true) { }
}
