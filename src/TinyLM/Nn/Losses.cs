using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Loss functions under their usual names. Cross-entropy and BCE are the fused ops on <see cref="Tensor"/>
/// (log-softmax and loss in one pass); MSE is a composite.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Mean cross-entropy of logits (…, C) against class ids (…); rows whose target is <paramref name="ignoreIndex"/>
    /// are left out (e.g. padding in a language model), with optional label smoothing ε.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, IntTensor targets, int ignoreIndex = -100, float labelSmoothing = 0f) =>
        Tensor.CrossEntropy(logits, targets, ignoreIndex, labelSmoothing);

    /// <summary>Mean binary cross-entropy with logits against probabilities of the same shape.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets) =>
        Tensor.BinaryCrossEntropyWithLogits(logits, targets);

    /// <summary>Mean squared error over all elements (shapes must broadcast).</summary>
    public static Tensor MeanSquaredError(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        return prediction.Sub(target).Square().Mean(); // ()
    }
}
