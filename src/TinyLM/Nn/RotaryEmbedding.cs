using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Rotary position embedding (Su et al. 2021) in the llama convention: each head vector's adjacent pairs
/// (x₂ᵢ, x₂ᵢ₊₁) are rotated by the angle pos·θ^(−2i/D) (Meta's llama and llama2.c pair adjacent elements;
/// Hugging Face's rotate_half pairs i with i + D/2 instead, which needs permuted q/k weights on import).
/// Cos/sin tables are precomputed for <see cref="MaxPositions"/> positions. The op is fused: one pass forward,
/// and the backward is the inverse rotation of the gradient.
/// </summary>
public sealed class RotaryEmbedding
{
    // Per position, D floats each (see RopeKernels): cos2 = (c₀, c₀, c₁, c₁, …), sin2 = (−s₀, s₀, …), and the inverse's
    // sines negated.
    private readonly float[] _cos2; // (MaxPositions, D)
    private readonly float[] _sin2;
    private readonly float[] _inverseSin2;

    /// <summary>D, the head dimension (even).</summary>
    public int HeadDim { get; }

    /// <summary>Positions covered by the tables.</summary>
    public int MaxPositions { get; }

    /// <summary>Base θ of the frequencies.</summary>
    public float Theta { get; }

    /// <summary>Tables for head dimension <paramref name="headDim"/> over <paramref name="maxPositions"/> positions.</summary>
    public RotaryEmbedding(int headDim, int maxPositions, float theta = 10000f)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(headDim), $"RotaryEmbedding: head dimension {headDim} must be positive and even.");
        if (maxPositions <= 0) throw new ArgumentOutOfRangeException(nameof(maxPositions), $"RotaryEmbedding: max positions {maxPositions} must be positive.");
        if (!(theta > 1f)) throw new ArgumentOutOfRangeException(nameof(theta), $"RotaryEmbedding: theta {theta} must be > 1.");
        HeadDim = headDim;
        MaxPositions = maxPositions;
        Theta = theta;
        int half = headDim / 2;
        _cos2 = new float[maxPositions * headDim];
        _sin2 = new float[maxPositions * headDim];
        _inverseSin2 = new float[maxPositions * headDim];
        for (int p = 0; p < maxPositions; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(theta, -2.0 * i / headDim);
                float c = (float)Math.Cos(angle), sn = (float)Math.Sin(angle);
                int at = p * headDim + 2 * i;
                (_cos2[at], _cos2[at + 1]) = (c, c);
                (_sin2[at], _sin2[at + 1]) = (-sn, sn);
                (_inverseSin2[at], _inverseSin2[at + 1]) = (sn, -sn);
            }
    }

    /// <summary>
    /// Rotates <paramref name="x"/> (B, T, H, D): time step t gets position <paramref name="startPosition"/> + t.
    /// Returns a new tensor; differentiable.
    /// </summary>
    public Tensor Apply(Tensor x, int startPosition = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4 || x.Dim(3) != HeadDim)
            throw new ArgumentException($"RotaryEmbedding.Apply: input must be (B, T, H, {HeadDim}), got ({string.Join(", ", x.Shape)}).");
        int b = x.Dim(0), t = x.Dim(1), h = x.Dim(2);
        CheckPositions(startPosition, t);
        Tensor xc;
        using (Tensor.NoGrad()) xc = x.Contiguous();
        var y = Tensor.Empty(b, t, h, HeadDim); // (B, T, H, D)
        RopeKernels.Rotate(xc.AsSpan(), y.AsSpan(), b * t * h, t, h, HeadDim, startPosition, _cos2, _sin2, accumulate: false);
        Tensor.Record("RotaryEmbedding", y, [xc], g =>
            RopeKernels.Rotate(g.AsSpan(), xc.GradSpan(), b * t * h, t, h, HeadDim, startPosition, _cos2, _inverseSin2, accumulate: true));
        return y;
    }

    /// <summary>
    /// Rotates rows in place: <paramref name="data"/> holds <paramref name="rows"/> × <paramref name="heads"/> head
    /// vectors, row r at position <paramref name="startPosition"/> + r % <paramref name="time"/> (for (B, T, H, D) data).
    /// </summary>
    public void Rotate(Span<float> data, int rows, int time, int heads, int startPosition, bool inverse = false)
    {
        int n = HeadDim;
        if (data.Length < rows * time * heads * n) throw new ArgumentException($"RotaryEmbedding.Rotate: {data.Length} floats for {rows}×{time}×{heads}×{n}.");
        CheckPositions(startPosition, time);
        RopeKernels.Rotate(data, data, rows * time * heads, time, heads, n, startPosition, _cos2, inverse ? _inverseSin2 : _sin2, accumulate: false);
    }

    private void CheckPositions(int start, int count)
    {
        if (start < 0 || start + count > MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(start), $"RotaryEmbedding: positions [{start}, {start + count}) exceed the table of {MaxPositions}.");
    }
}
