using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Layer normalisation over the last dimension (biased variance, as PyTorch). Parameters <c>weight</c> (D)
/// initialised to 1 and <c>bias</c> (D) initialised to 0; both optional. Forward and backward are one fused op.
/// </summary>
public sealed class LayerNorm : Module, ILayer
{
    /// <summary>(D) scale, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>(D) shift, or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>D.</summary>
    public int Dim { get; }

    /// <summary>Added to the variance.</summary>
    public float Eps { get; }

    /// <summary>A layer norm over <paramref name="dim"/> features.</summary>
    public LayerNorm(int dim, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), $"LayerNorm: dim {dim} must be positive.");
        Dim = dim;
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Parameter(dim));
            Weight.AsSpan().Fill(1f);
            if (bias) Bias = RegisterParameter("bias", Tensor.Parameter(dim));
        }
    }

    /// <summary>(…, D) → (…, D).</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 1 || input.Dim(-1) != Dim)
            throw new ArgumentException($"LayerNorm.Forward: input ({string.Join(", ", input.Shape)}) must end in {Dim} features.");
        return input.LayerNorm(Weight, Bias, Eps);
    }
}
