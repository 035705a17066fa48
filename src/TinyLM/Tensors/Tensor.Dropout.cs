namespace TinyLM.Tensors;

// Inverted dropout: scales kept activations by 1/(1−p) in training so evaluation is the identity.
public sealed partial class Tensor
{
    /// <summary>
    /// Zeroes each element with probability <paramref name="p"/> (mask drawn from <paramref name="rng"/>) and scales
    /// the rest by 1/(1−p); returns this tensor unchanged when <paramref name="training"/> is false or p = 0.
    /// </summary>
    public Tensor Dropout(float p, Rng rng, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p < 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p = {p} is not in [0, 1).");
        if (!training || p == 0f) return this;
        var x = Contiguous();
        var mask = AllocateTemp((int[])x._shape.Clone(), clear: false);
        var ms = mask.AsSpan();
        rng.Bernoulli(ms, 1f - p);
        System.Numerics.Tensors.TensorPrimitives.Multiply(ms, 1f / (1f - p), ms);
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.AsSpan(), ms, y.AsSpan());
        if (AnyRequiresGrad(x))
            Record("Dropout", y, [x], g =>
            {
                Kernels.ElementwiseKernels.MultiplyAdd(g.AsSpan(), mask.AsSpan(), x.GradSpan());
                mask.ReleaseTemp();
            });
        else mask.ReleaseTemp();
        return y;
    }
}
