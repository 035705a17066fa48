using System.Numerics.Tensors;

namespace TinyLM.Tensors;

// Index-driven ops: embedding lookup, gather, index-select, masked fill, where.
public sealed partial class Tensor
{
    /// <summary>
    /// Rows of <paramref name="weight"/> (V, D) picked by <paramref name="ids"/> (any shape S) → (S…, D). The backward
    /// adds into only the rows that were looked up; rows equal to <paramref name="paddingIndex"/> get no gradient.
    /// </summary>
    public static Tensor Embedding(Tensor weight, IntTensor ids, int paddingIndex = -1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(ids);
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: weight must be (V, D), got {ShapeOf.Format(weight._shape)}.");
        int v = weight._shape[0], dim = weight._shape[1];
        ids.CheckRange(v, "Embedding", "id");
        var w = weight.Contiguous();
        var outShape = new int[ids.Rank + 1];
        ids.ShapeArray.CopyTo(outShape, 0);
        outShape[^1] = dim;
        var y = Allocate(outShape, clear: false);
        var ws = w.AsSpan();
        var ys = y.AsSpan();
        var idx = ids.Data;
        for (int i = 0; i < idx.Length; i++) ws.Slice(idx[i] * dim, dim).CopyTo(ys.Slice(i * dim, dim));
        if (AnyRequiresGrad(w))
            Record("Embedding", y, [w], g =>
            {
                var d = w.GradSpan();
                var gs = g.AsSpan();
                for (int i = 0; i < idx.Length; i++)
                {
                    if (idx[i] == paddingIndex) continue;
                    var row = d.Slice(idx[i] * dim, dim);
                    TensorPrimitives.Add(row, gs.Slice(i * dim, dim), row);
                }
            });
        return y;
    }

    /// <summary>
    /// Entries of dimension <paramref name="dim"/> picked by a 1-D <paramref name="index"/>; the result has
    /// index.Length entries in that dimension. Gradients of repeated indices add up.
    /// </summary>
    public Tensor IndexSelect(int dim, IntTensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = ShapeOf.Axis(dim, Rank, "IndexSelect");
        if (index.Rank != 1) throw new ArgumentException($"IndexSelect: index must be 1-D, got {ShapeOf.Format(index.ShapeArray)}.");
        index.CheckRange(_shape[d], "IndexSelect", "index");
        var x = Contiguous();
        var (outer, n, inner) = Split3(x._shape, d);
        var outShape = (int[])x._shape.Clone();
        outShape[d] = index.Length;
        var y = Allocate(outShape, clear: false);
        var xs = x.AsSpan(); var ys = y.AsSpan();
        var idx = index.Data;
        int k = idx.Length;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < k; j++)
                xs.Slice((o * n + idx[j]) * inner, inner).CopyTo(ys.Slice((o * k + j) * inner, inner));
        if (AnyRequiresGrad(x))
            Record("IndexSelect", y, [x], g =>
            {
                var gs = g.AsSpan(); var dx = x.GradSpan();
                for (int o = 0; o < outer; o++)
                    for (int j = 0; j < k; j++)
                    {
                        var row = dx.Slice((o * n + idx[j]) * inner, inner);
                        TensorPrimitives.Add(row, gs.Slice((o * k + j) * inner, inner), row);
                    }
            });
        return y;
    }

    /// <summary>
    /// out[i][j][k] = x[i][index[i][j][k]][k] for <paramref name="dim"/> = 1 (and likewise for any dim):
    /// <paramref name="index"/> has this tensor's rank, and its shape is the result's.
    /// </summary>
    public Tensor Gather(int dim, IntTensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = ShapeOf.Axis(dim, Rank, "Gather");
        if (index.Rank != Rank) throw new ArgumentException($"Gather: index {ShapeOf.Format(index.ShapeArray)} must have the rank of {ShapeOf.Format(_shape)}.");
        for (int i = 0; i < Rank; i++)
            if (i != d && index.ShapeArray[i] > _shape[i])
                throw new ArgumentException($"Gather: index {ShapeOf.Format(index.ShapeArray)} exceeds {ShapeOf.Format(_shape)} in dim {i}.");
        index.CheckRange(_shape[d], "Gather", "index");
        var x = Contiguous();
        var ishape = index.ShapeArray;
        var y = Allocate((int[])ishape.Clone(), clear: false);
        var xStrides = ShapeOf.ContiguousStrides(x._shape);
        var map = new int[index.Length]; // flat source position of each output element, reused by the backward
        var pos = new int[Rank];
        for (int f = 0; f < map.Length; f++)
        {
            int rem = f, src = 0;
            for (int a = Rank - 1; a >= 0; a--)
            {
                pos[a] = rem % ishape[a];
                rem /= ishape[a];
            }
            for (int a = 0; a < Rank; a++) src += (a == d ? index.Data[f] : pos[a]) * xStrides[a];
            map[f] = src;
        }
        var xs = x.AsSpan(); var ys = y.AsSpan();
        for (int f = 0; f < map.Length; f++) ys[f] = xs[map[f]];
        if (AnyRequiresGrad(x))
            Record("Gather", y, [x], g =>
            {
                var gs = g.AsSpan(); var dx = x.GradSpan();
                for (int f = 0; f < map.Length; f++) dx[map[f]] += gs[f];
            });
        return y;
    }

    /// <summary>This tensor with <paramref name="value"/> where <paramref name="mask"/> (broadcastable; nonzero = true) is set.</summary>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var shape = ShapeOf.Broadcast(_shape, mask._shape, "MaskedFill");
        if (!ShapeOf.SameShape(shape, _shape))
            throw new ArgumentException($"MaskedFill: mask {ShapeOf.Format(mask._shape)} does not broadcast to {ShapeOf.Format(_shape)}.");
        var x = Contiguous();
        Tensor m;
        using (NoGrad()) m = mask.Expand(_shape).Contiguous();
        var y = Allocate((int[])_shape.Clone(), clear: false);
        var xs = x.AsSpan(); var ms = m.AsSpan(); var ys = y.AsSpan();
        for (int i = 0; i < ys.Length; i++) ys[i] = ms[i] != 0f ? value : xs[i];
        if (AnyRequiresGrad(x))
            Record("MaskedFill", y, [x], g =>
            {
                var gs = g.AsSpan(); var dx = x.GradSpan(); var mv = m.AsSpan();
                for (int i = 0; i < gs.Length; i++) if (mv[i] == 0f) dx[i] += gs[i];
            });
        return y;
    }

    /// <summary>Elementwise <paramref name="condition"/> ? a : b with broadcasting (condition nonzero = true).</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var shape = ShapeOf.Broadcast(ShapeOf.Broadcast(a._shape, b._shape, "Where"), condition._shape, "Where");
        Tensor c, ae, be;
        using (NoGrad())
        {
            c = condition.Expand(shape).Contiguous();
            ae = a.Expand(shape).Contiguous();
            be = b.Expand(shape).Contiguous();
        }
        var y = Allocate((int[])shape.Clone(), clear: false);
        var cs = c.AsSpan(); var asp = ae.AsSpan(); var bsp = be.AsSpan(); var ys = y.AsSpan();
        for (int i = 0; i < ys.Length; i++) ys[i] = cs[i] != 0f ? asp[i] : bsp[i];
        if (AnyRequiresGrad(a, b))
            Record("Where", y, [a, b], g =>
            {
                var gs = g.AsSpan(); var cv = c.AsSpan();
                var t = AllocateTemp(shape, clear: false);
                var ts = t.AsSpan();
                if (a.RequiresGrad)
                {
                    for (int i = 0; i < ts.Length; i++) ts[i] = cv[i] != 0f ? gs[i] : 0f;
                    a.AccumulateGrad(t);
                }
                if (b.RequiresGrad)
                {
                    for (int i = 0; i < ts.Length; i++) ts[i] = cv[i] != 0f ? 0f : gs[i];
                    b.AccumulateGrad(t);
                }
                t.ReleaseTemp();
            });
        return y;
    }
}
