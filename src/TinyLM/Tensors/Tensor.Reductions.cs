using System.Buffers;
using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Tensors;

// Reductions over any axis (keepdim optional). Backward broadcasts the gradient back over the reduced axes.
public sealed partial class Tensor
{
    /// <summary>Sum of all elements (a scalar, rank 0).</summary>
    public Tensor Sum()
    {
        var x = Contiguous();
        var y = Allocate([], clear: false);
        y.Data[0] = TensorPrimitives.Sum(x.AsSpan());
        if (AnyRequiresGrad(x))
            Record("Sum", y, [x], g =>
            {
                var d = x.GradSpan();
                TensorPrimitives.Add(d, g.Data[0], d);
            });
        return y;
    }

    /// <summary>Mean of all elements (a scalar).</summary>
    public Tensor Mean() => Sum().Mul(1f / Math.Max(_length, 1));

    /// <summary>Sum over <paramref name="axis"/>; keeps it as size 1 when <paramref name="keepDim"/>.</summary>
    public Tensor Sum(int axis, bool keepDim = false)
    {
        int ax = ShapeOf.Axis(axis, Rank, "Sum");
        var x = Contiguous();
        var (outer, n, inner) = Split3(x._shape, ax);
        var keptShape = (int[])x._shape.Clone();
        keptShape[ax] = 1;
        var y = Allocate(keepDim ? keptShape : DropAxis(x._shape, ax), clear: false);
        ReductionKernels.Sum(x.AsSpan(), outer, n, inner, y.AsSpan());
        if (AnyRequiresGrad(x))
            Record("Sum", y, [x], g =>
            {
                var gk = new Tensor(g._storage, keptShape, ShapeOf.ContiguousStrides(keptShape), g._offset);
                var gx = x.GradTensor();
                // Broadcast-add the kept-dim gradient over the reduced axis.
                var sg = ShapeOf.BroadcastStrides(keptShape, gk._strides, x._shape);
                var it = new RowIterator(x._shape, sg, ShapeOf.ContiguousStrides(x._shape), new int[x.Rank]);
                int len = it.RowLength, ig = it.Stride0;
                var gd = gk.Data; var dd = gx.Data;
                while (it.Next(out int og, out int od, out _))
                {
                    var row = dd.AsSpan(od, len);
                    if (ig == 0) TensorPrimitives.Add(row, gd[gk._offset + og], row);
                    else TensorPrimitives.Add(row, gd.AsSpan(gk._offset + og, len), row);
                }
            });
        return y;
    }

    /// <summary>Sum over several axes.</summary>
    public Tensor Sum(int[] axes, bool keepDim = false)
    {
        var sorted = NormalizeAxes(axes, "Sum");
        var y = this;
        for (int i = sorted.Length - 1; i >= 0; i--) y = y.Sum(sorted[i], keepDim);
        return y;
    }

    /// <summary>Mean over <paramref name="axis"/>.</summary>
    public Tensor Mean(int axis, bool keepDim = false)
    {
        int n = _shape[ShapeOf.Axis(axis, Rank, "Mean")];
        return Sum(axis, keepDim).Mul(1f / Math.Max(n, 1));
    }

    /// <summary>Mean over several axes.</summary>
    public Tensor Mean(int[] axes, bool keepDim = false)
    {
        var sorted = NormalizeAxes(axes, "Mean");
        long n = 1;
        foreach (int a in sorted) n *= _shape[a];
        return Sum(sorted, keepDim).Mul(1f / Math.Max(n, 1));
    }

    /// <summary>Maximum over <paramref name="axis"/>; the gradient goes to the first maximal element.</summary>
    public Tensor Max(int axis, bool keepDim = false)
    {
        int ax = ShapeOf.Axis(axis, Rank, "Max");
        var x = Contiguous();
        var (outer, n, inner) = Split3(x._shape, ax);
        if (n == 0) throw new ArgumentException($"Max: axis {axis} of {ShapeOf.Format(_shape)} is empty.");
        var keptShape = (int[])x._shape.Clone();
        keptShape[ax] = 1;
        var y = Allocate(keepDim ? keptShape : DropAxis(x._shape, ax), clear: false);
        int[] arg = ArrayPool<int>.Shared.Rent(Math.Max(outer * inner, 1));
        ReductionKernels.Max(x.AsSpan(), outer, n, inner, y.AsSpan(), arg);
        if (AnyRequiresGrad(x))
            Record("Max", y, [x], g =>
            {
                var gs = g.AsSpan(); var d = x.GradSpan();
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < inner; i++)
                        d[(o * n + arg[o * inner + i]) * inner + i] += gs[o * inner + i];
                ArrayPool<int>.Shared.Return(arg);
            });
        else ArrayPool<int>.Shared.Return(arg);
        return y;
    }

    /// <summary>Maximum of all elements (a scalar).</summary>
    public Tensor Max() => Reshape(-1).Max(0);

    /// <summary>Index of the maximum along the last axis, per row (not differentiable).</summary>
    public int[] ArgMax()
    {
        var x = Contiguous();
        int n = Rank == 0 ? 1 : _shape[^1];
        int rows = n == 0 ? 0 : _length / n;
        var result = new int[rows];
        var s = x.AsSpan();
        for (int r = 0; r < rows; r++) result[r] = TensorPrimitives.IndexOfMax(s.Slice(r * n, n));
        return result;
    }

    private static (int Outer, int N, int Inner) Split3(int[] shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[axis], inner);
    }

    private static int[] DropAxis(int[] shape, int axis)
    {
        var s = new int[shape.Length - 1];
        for (int i = 0, j = 0; i < shape.Length; i++) if (i != axis) s[j++] = shape[i];
        return s;
    }

    private int[] NormalizeAxes(int[] axes, string op)
    {
        var sorted = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++) sorted[i] = ShapeOf.Axis(axes[i], Rank, op);
        Array.Sort(sorted);
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i] == sorted[i - 1]) throw new ArgumentException($"{op}: axis {sorted[i]} repeated.");
        return sorted;
    }
}
