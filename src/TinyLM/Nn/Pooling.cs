using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Padding-aware pooling over the time axis of batch-first sequences (B, T, C) → (B, C): positions t ≥
/// lengths[b] are excluded. A sequence of length 0 pools to 0 and passes no gradient. Each is one op with a
/// hand-written backward.
/// </summary>
public static class Pooling
{
    /// <summary>
    /// Maximum over valid time steps (Kim 2014's max-over-time). The gradient goes to the first position that
    /// holds the maximum. <paramref name="lengths"/> null means every sequence has length T.
    /// </summary>
    public static Tensor MaxOverTime(Tensor x, int[]? lengths = null)
    {
        var (b, t, c) = Check(x, lengths, "Pooling.MaxOverTime");
        Tensor xc;
        using (Tensor.NoGrad()) xc = x.Contiguous();
        var xs = xc.AsSpan();
        var y = Tensor.Empty(b, c); // (B, C)
        var ys = y.AsSpan();
        var arg = new int[b * c]; // source time step of each maximum, −1 for empty sequences
        for (int bi = 0; bi < b; bi++)
        {
            int len = lengths?[bi] ?? t;
            var yrow = ys.Slice(bi * c, c);
            var arow = arg.AsSpan(bi * c, c);
            if (len == 0)
            {
                yrow.Clear();
                arow.Fill(-1);
                continue;
            }
            xs.Slice(bi * t * c, c).CopyTo(yrow);
            arow.Clear();
            for (int ti = 1; ti < len; ti++)
            {
                var row = xs.Slice((bi * t + ti) * c, c);
                for (int ci = 0; ci < c; ci++)
                    if (row[ci] > yrow[ci]) { yrow[ci] = row[ci]; arow[ci] = ti; }
            }
        }
        Tensor.Record("MaxOverTime", y, [xc], g =>
        {
            var gs = g.AsSpan();
            var dx = xc.GradSpan();
            for (int bi = 0; bi < b; bi++)
                for (int ci = 0; ci < c; ci++)
                {
                    int ti = arg[bi * c + ci];
                    if (ti >= 0) dx[(bi * t + ti) * c + ci] += gs[bi * c + ci];
                }
        });
        return y;
    }

    /// <summary>Mean over valid time steps; <paramref name="lengths"/> null means every sequence has length T.</summary>
    public static Tensor MeanOverTime(Tensor x, int[]? lengths = null)
    {
        var (b, t, c) = Check(x, lengths, "Pooling.MeanOverTime");
        Tensor xc;
        using (Tensor.NoGrad()) xc = x.Contiguous();
        var xs = xc.AsSpan();
        var y = Tensor.Zeros(b, c); // (B, C)
        var ys = y.AsSpan();
        for (int bi = 0; bi < b; bi++)
        {
            int len = lengths?[bi] ?? t;
            if (len == 0) continue;
            var yrow = ys.Slice(bi * c, c);
            for (int ti = 0; ti < len; ti++)
                System.Numerics.Tensors.TensorPrimitives.Add(yrow, xs.Slice((bi * t + ti) * c, c), yrow);
            System.Numerics.Tensors.TensorPrimitives.Multiply(yrow, 1f / len, yrow);
        }
        var lens = lengths is null ? null : (int[])lengths.Clone();
        Tensor.Record("MeanOverTime", y, [xc], g =>
        {
            var gs = g.AsSpan();
            var dx = xc.GradSpan();
            for (int bi = 0; bi < b; bi++)
            {
                int len = lens?[bi] ?? t;
                if (len == 0) continue;
                float inv = 1f / len;
                var grow = gs.Slice(bi * c, c);
                for (int ti = 0; ti < len; ti++)
                {
                    var d = dx.Slice((bi * t + ti) * c, c);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(grow, inv, d, d);
                }
            }
        });
        return y;
    }

    /// <summary>
    /// A (B, 1, 1, T) mask tensor with 1 at padding positions (t ≥ lengths[b]) and 0 elsewhere, the layout
    /// <see cref="Tensor.MaskedFill"/> broadcasts over attention scores (B, H, T_q, T).
    /// </summary>
    public static Tensor KeyPaddingMask(int[] lengths, int t)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        var m = Tensor.Zeros(lengths.Length, 1, 1, t);
        var s = m.AsSpan();
        for (int bi = 0; bi < lengths.Length; bi++)
        {
            if (lengths[bi] < 0 || lengths[bi] > t)
                throw new ArgumentOutOfRangeException(nameof(lengths), $"KeyPaddingMask: length {lengths[bi]} of sequence {bi} is not in [0, {t}].");
            s.Slice(bi * t + lengths[bi], t - lengths[bi]).Fill(1f);
        }
        return m;
    }

    private static (int B, int T, int C) Check(Tensor x, int[]? lengths, string op)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3) throw new ArgumentException($"{op}: input must be (B, T, C), got ({string.Join(", ", x.Shape)}).");
        int b = x.Dim(0), t = x.Dim(1), c = x.Dim(2);
        if (lengths is not null)
        {
            if (lengths.Length != b) throw new ArgumentException($"{op}: {lengths.Length} lengths for a batch of {b}.");
            for (int i = 0; i < b; i++)
                if (lengths[i] < 0 || lengths[i] > t)
                    throw new ArgumentOutOfRangeException(nameof(lengths), $"{op}: length {lengths[i]} of sequence {i} is not in [0, {t}].");
        }
        return (b, t, c);
    }
}
