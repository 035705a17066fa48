using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// RMS normalisation over the last dimension, x / √(mean(x²) + eps) · weight (llama). Parameter <c>weight</c>
/// (D) initialised to 1. Forward and backward are one fused op.
/// </summary>
public sealed class RmsNorm : Module, ILayer
{
    /// <summary>(D) scale.</summary>
    public Tensor Weight { get; }

    /// <summary>D.</summary>
    public int Dim { get; }

    /// <summary>Added to the mean square.</summary>
    public float Eps { get; }

    /// <summary>An RMS norm over <paramref name="dim"/> features.</summary>
    public RmsNorm(int dim, float eps = 1e-6f)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), $"RmsNorm: dim {dim} must be positive.");
        Dim = dim;
        Eps = eps;
        Weight = RegisterParameter("weight", Tensor.Parameter(dim));
        Weight.AsSpan().Fill(1f);
    }

    /// <summary>(…, D) → (…, D).</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 1 || input.Dim(-1) != Dim)
            throw new ArgumentException($"RmsNorm.Forward: input ({string.Join(", ", input.Shape)}) must end in {Dim} features.");
        return input.RmsNorm(Weight, Eps);
    }
}
