using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// y = x·Wᵀ + b over the last dimension: (…, in) → (…, out). Parameters <c>weight</c> (out, in) and
/// <c>bias</c> (out), PyTorch's names, shapes and default initialisation (kaiming-uniform with a = √5, which
/// is U(−1/√in, 1/√in) for the weight, and the same bound for the bias).
/// </summary>
public sealed class Linear : Module, ILayer
{
    /// <summary>(out, in).</summary>
    public Tensor Weight { get; }

    /// <summary>(out), or null without bias.</summary>
    public Tensor? Bias { get; }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>A layer with PyTorch's default initialisation drawn from <paramref name="rng"/>.</summary>
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear: sizes must be positive, got in={inFeatures} out={outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Tensor.Parameter(outFeatures, inFeatures));
        rng.Uniform(Weight.AsSpan(), -bound, bound);
        if (bias)
        {
            Bias = RegisterParameter("bias", Tensor.Parameter(outFeatures));
            rng.Uniform(Bias.AsSpan(), -bound, bound);
        }
    }

    /// <summary>(…, in) → (…, out). With a quantized weight (see <see cref="Module.SetWeightFormat"/>) the output records no gradient.</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 1 || input.Dim(-1) != InFeatures)
            throw new ArgumentException($"Linear.Forward: input ({string.Join(", ", input.Shape)}) must end in {InFeatures} features.");
        if (WeightFormat("weight") is { } quantized) return ForwardQuantized(quantized, input);
        var x = input.Rank == 1 ? input.Unsqueeze(0) : input;
        // Weight.T is a transposed view: the GEMM reads it with transB, no copy.
        var y = x.MatMul(Weight.T); // (…, out)
        if (Bias is not null) y = y.Add(Bias);
        return input.Rank == 1 ? y.Squeeze(0) : y;
    }

    protected override bool IsQuantizable(string name) => name == "weight";

    private Tensor ForwardQuantized(IWeightMatrix weight, Tensor input) => Through(weight, input, Bias);

    /// <summary>
    /// (…, in) → (…, out) through a quantized matrix (out, in), the bias added inside the matrix's multiply as the
    /// int8/block GEMVs do; records no gradient. Also serves a tied output projection that runs an embedding's format.
    /// </summary>
    public static Tensor Through(IWeightMatrix weight, Tensor input, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(input);
        float[] x;
        using (Tensor.NoGrad()) x = input.Contiguous().ToArray();
        int m = x.Length / weight.Cols;
        var y = new float[m * weight.Rows];
        weight.Multiply(m, x, bias is null ? [] : bias.AsSpan(), y);
        var shape = input.Shape.ToArray();
        shape[^1] = weight.Rows;
        return Tensor.FromArray(y, shape); // (…, out)
    }
}
