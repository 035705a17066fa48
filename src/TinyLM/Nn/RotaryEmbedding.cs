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
    private readonly float[] _cos; // (MaxPositions, D/2)
    private readonly float[] _sin;

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
        _cos = new float[maxPositions * half];
        _sin = new float[maxPositions * half];
        for (int p = 0; p < maxPositions; p++)
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(theta, -2.0 * i / headDim);
                _cos[p * half + i] = (float)Math.Cos(angle);
                _sin[p * half + i] = (float)Math.Sin(angle);
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
        xc.AsSpan().CopyTo(y.AsSpan());
        Rotate(y.AsSpan(), b, t, h, startPosition, inverse: false);
        Tensor.Record("RotaryEmbedding", y, [xc], g =>
        {
            var gs = g.AsSpan();
            var dx = xc.GradSpan();
            int n = HeadDim;
            var tmp = TensorPool.Rent(n);
            for (int r = 0; r < b * t; r++)
            {
                int pos = startPosition + r % t;
                for (int hh = 0; hh < h; hh++)
                {
                    int off = (r * h + hh) * n;
                    gs.Slice(off, n).CopyTo(tmp);
                    RotateRow(tmp.AsSpan(0, n), pos, inverse: true);
                    var d = dx.Slice(off, n);
                    System.Numerics.Tensors.TensorPrimitives.Add(d, tmp.AsSpan(0, n), d);
                }
            }
            TensorPool.Return(tmp);
        });
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
        for (int r = 0; r < rows * time; r++)
        {
            int pos = startPosition + r % time;
            for (int hh = 0; hh < heads; hh++) RotateRow(data.Slice((r * heads + hh) * n, n), pos, inverse);
        }
    }

    private void RotateRow(Span<float> v, int pos, bool inverse)
    {
        int half = HeadDim / 2;
        var c = _cos.AsSpan(pos * half, half);
        var s = _sin.AsSpan(pos * half, half);
        for (int i = 0; i < half; i++)
        {
            float x0 = v[2 * i], x1 = v[2 * i + 1];
            float sn = inverse ? -s[i] : s[i];
            v[2 * i] = x0 * c[i] - x1 * sn;
            v[2 * i + 1] = x0 * sn + x1 * c[i];
        }
    }

    private void CheckPositions(int start, int count)
    {
        if (start < 0 || start + count > MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(start), $"RotaryEmbedding: positions [{start}, {start + count}) exceed the table of {MaxPositions}.");
    }
}
