namespace TinyLM.Tensors;

// Shape ops. Views share storage; their backward adds the gradient into the matching strided region of the
// input's (contiguous) gradient buffer.
public sealed partial class Tensor
{
    /// <summary>This tensor if already contiguous, otherwise a row-major copy.</summary>
    public Tensor Contiguous()
    {
        if (IsContiguous) return this;
        var x = this;
        var y = Allocate((int[])_shape.Clone(), clear: false);
        StridedCopy.ToContiguous(x, y.AsSpan());
        if (AnyRequiresGrad(x)) Record("Contiguous", y, [x], g => x.AccumulateGrad(g));
        return y;
    }

    /// <summary>Same elements in a new shape (one dimension may be −1). A view when contiguous, else a copy.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = ResolveShape(shape);
        var x = Contiguous();
        var y = new Tensor(x._storage, s, ShapeOf.ContiguousStrides(s), x._offset);
        if (AnyRequiresGrad(x))
            Record("Reshape", y, [x], g =>
            {
                var d = x.GradSpan();
                System.Numerics.Tensors.TensorPrimitives.Add(d, g.AsSpan(), d);
            });
        return y;
    }

    /// <summary>Collapses dimensions <paramref name="start"/>..<paramref name="end"/> into one.</summary>
    public Tensor Flatten(int start = 0, int end = -1)
    {
        int s = ShapeOf.Axis(start, Rank, "Flatten"), e = ShapeOf.Axis(end, Rank, "Flatten");
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(_shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= _shape[i];
        shape.Add(m);
        for (int i = e + 1; i < Rank; i++) shape.Add(_shape[i]);
        return Reshape([.. shape]);
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = new int[Rank];
        for (int i = 0; i < Rank; i++) perm[i] = i;
        int a = ShapeOf.Axis(dim0, Rank, "Transpose"), b = ShapeOf.Axis(dim1, Rank, "Transpose");
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Transpose of the last two dimensions (a view).</summary>
    public Tensor T => Transpose(-2, -1);

    /// <summary>Reorders dimensions: result dim i is input dim perm[i] (a view).</summary>
    public Tensor Permute(params int[] perm)
    {
        if (perm.Length != Rank) throw new ArgumentException($"Permute: {perm.Length} axes for tensor {ShapeOf.Format(_shape)}.");
        var seen = new bool[Rank];
        var shape = new int[Rank];
        var strides = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int p = ShapeOf.Axis(perm[i], Rank, "Permute");
            if (seen[p]) throw new ArgumentException($"Permute: axis {p} repeated in ({string.Join(", ", perm)}).");
            seen[p] = true;
            shape[i] = _shape[p];
            strides[i] = _strides[p];
        }
        var x = this;
        var y = new Tensor(_storage, shape, strides, _offset);
        if (AnyRequiresGrad(x))
            Record("Permute", y, [x], g =>
            {
                var gx = x.GradTensor();
                var xs = ShapeOf.ContiguousStrides(x._shape);
                var ps = new int[shape.Length];
                for (int i = 0; i < ps.Length; i++) ps[i] = xs[ShapeOf.Axis(perm[i], shape.Length, "Permute")];
                StridedCopy.AddInto(gx.Data, 0, shape, ps, g.AsSpan());
            });
        return y;
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (a view).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if ((uint)d > (uint)Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Unsqueeze: dim {dim} out of range for rank {Rank}.");
        var shape = new List<int>(_shape);
        shape.Insert(d, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Removes dimension <paramref name="dim"/>, which must have size 1.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeOf.Axis(dim, Rank, "Squeeze");
        if (_shape[d] != 1) throw new ArgumentException($"Squeeze: dim {dim} of {ShapeOf.Format(_shape)} is not 1.");
        var shape = new List<int>(_shape);
        shape.RemoveAt(d);
        return Reshape([.. shape]);
    }

    /// <summary><paramref name="length"/> entries of dimension <paramref name="dim"/> from <paramref name="start"/> (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = ShapeOf.Axis(dim, Rank, "Narrow");
        if (start < 0) start += _shape[d];
        if (start < 0 || length < 0 || start + length > _shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow: [{start}, {start + length}) out of range for dim {dim} of {ShapeOf.Format(_shape)}.");
        var shape = (int[])_shape.Clone();
        shape[d] = length;
        var x = this;
        var y = new Tensor(_storage, shape, (int[])_strides.Clone(), _offset + start * _strides[d]);
        if (AnyRequiresGrad(x))
            Record("Narrow", y, [x], g =>
            {
                var gx = x.GradTensor();
                var xs = ShapeOf.ContiguousStrides(x._shape);
                StridedCopy.AddInto(gx.Data, start * xs[d], shape, xs, g.AsSpan());
            });
        return y;
    }

    /// <summary>Entries [start, end) of dimension <paramref name="dim"/> (negative indices count from the end; a view).</summary>
    public Tensor Slice(int dim, int start, int end)
    {
        int d = ShapeOf.Axis(dim, Rank, "Slice");
        int n = _shape[d];
        if (start < 0) start += n;
        if (end < 0) end += n;
        if (start < 0 || end > n || start > end)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: [{start}, {end}) out of range for dim {dim} of {ShapeOf.Format(_shape)}.");
        return Narrow(d, start, end - start);
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, that dimension removed.</summary>
    public Tensor Select(int dim, int index) => Narrow(dim, index, 1).Squeeze(dim);

    /// <summary>Splits dimension <paramref name="dim"/> into pieces of the given sizes (views).</summary>
    public Tensor[] Split(int dim, params int[] sizes)
    {
        int d = ShapeOf.Axis(dim, Rank, "Split");
        int total = 0;
        foreach (int s in sizes) total += s;
        if (total != _shape[d]) throw new ArgumentException($"Split: sizes ({string.Join(", ", sizes)}) do not sum to dim {dim} = {_shape[d]} of {ShapeOf.Format(_shape)}.");
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            parts[i] = Narrow(d, start, sizes[i]);
            start += sizes[i];
        }
        return parts;
    }

    /// <summary>Splits dimension <paramref name="dim"/> into <paramref name="chunks"/> equal parts (views).</summary>
    public Tensor[] Chunk(int chunks, int dim)
    {
        int d = ShapeOf.Axis(dim, Rank, "Chunk");
        if (chunks <= 0 || _shape[d] % chunks != 0) throw new ArgumentException($"Chunk: dim {dim} = {_shape[d]} of {ShapeOf.Format(_shape)} is not divisible into {chunks}.");
        var sizes = new int[chunks];
        Array.Fill(sizes, _shape[d] / chunks);
        return Split(d, sizes);
    }

    /// <summary>Broadcasts to <paramref name="shape"/> without copying (stride 0 on expanded dims).</summary>
    public Tensor Expand(params int[] shape)
    {
        var target = ShapeOf.Broadcast(_shape, shape, "Expand");
        if (!ShapeOf.SameShape(target, shape)) throw new ArgumentException($"Expand: {ShapeOf.Format(_shape)} cannot expand to {ShapeOf.Format(shape)}.");
        var x = this;
        var y = new Tensor(_storage, (int[])shape.Clone(), ShapeOf.BroadcastStrides(_shape, _strides, shape), _offset);
        if (AnyRequiresGrad(x)) Record("Expand", y, [x], g => x.AccumulateGrad(g));
        return y;
    }

    /// <summary>Joins tensors along an existing dimension.</summary>
    public static Tensor Concat(Tensor[] tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Concat: no tensors.");
        var first = tensors[0];
        int d = ShapeOf.Axis(dim, first.Rank, "Concat");
        var shape = (int[])first._shape.Clone();
        shape[d] = 0;
        foreach (var t in tensors)
        {
            bool ok = t.Rank == first.Rank;
            for (int i = 0; ok && i < t.Rank; i++) ok = i == d || t._shape[i] == first._shape[i];
            if (!ok) throw new ArgumentException($"Concat: shape {ShapeOf.Format(t._shape)} does not match {ShapeOf.Format(first._shape)} outside dim {dim}.");
            shape[d] += t._shape[d];
        }
        var y = Allocate(shape, clear: false);
        var ys = ShapeOf.ContiguousStrides(shape);
        int start = 0;
        foreach (var t in tensors)
        {
            Tensor tc;
            using (NoGrad()) tc = t.Contiguous();
            StridedCopy.CopyInto(y.Data, start * ys[d], tc._shape, ys, tc.AsSpan());
            start += t._shape[d];
        }
        var inputs = (Tensor[])tensors.Clone();
        if (Autograd.IsEnabled && Array.Exists(inputs, t => t.RequiresGrad))
            Record("Concat", y, inputs, g =>
            {
                int s = 0;
                foreach (var t in inputs)
                {
                    if (t.RequiresGrad)
                    {
                        var part = new Tensor(g._storage, t._shape, ys, s * ys[d]);
                        t.AccumulateGrad(part);
                    }
                    s += t._shape[d];
                }
            });
        return y;
    }

    /// <summary>Joins same-shape tensors along a new dimension.</summary>
    public static Tensor Stack(Tensor[] tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Stack: no tensors.");
        var parts = new Tensor[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            if (!ShapeOf.SameShape(tensors[i]._shape, tensors[0]._shape))
                throw new ArgumentException($"Stack: shape {ShapeOf.Format(tensors[i]._shape)} of tensor {i} differs from {ShapeOf.Format(tensors[0]._shape)}.");
            parts[i] = tensors[i].Unsqueeze(dim);
        }
        return Concat(parts, dim < 0 ? dim + tensors[0].Rank + 1 : dim);
    }

    private int[] ResolveShape(int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: more than one −1 in {ShapeOf.Format(shape)}.");
                infer = i;
            }
            else if (s[i] < 0) throw new ArgumentException($"Reshape: negative dimension in {ShapeOf.Format(shape)}.");
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || _length % known != 0) throw new ArgumentException($"Reshape: cannot reshape {ShapeOf.Format(_shape)} into {ShapeOf.Format(shape)}.");
            s[infer] = (int)(_length / known);
        }
        if (ShapeOf.Count(s) != _length) throw new ArgumentException($"Reshape: cannot reshape {ShapeOf.Format(_shape)} ({_length} elements) into {ShapeOf.Format(shape)}.");
        return s;
    }
}
