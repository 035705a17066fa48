using System.Globalization;
using System.Text;

namespace TinyLM.Tensors;

/// <summary>
/// A dense float32 tensor: row-major shape + strides + offset over a shared storage, so reshape, transpose,
/// permute, slice and narrow are cheap views where the layout allows. Ops are instance methods and operators
/// (one file per op family, forward and backward side by side) recorded on the autograd tape when any input
/// requires a gradient.
/// <para>Creation: <see cref="Zeros"/>, <see cref="Ones"/>, <see cref="Full"/>, <see cref="FromArray"/>,
/// <see cref="Scalar"/>, <see cref="Randn"/>, <see cref="Rand"/>, <see cref="Arange"/>, and
/// <see cref="Parameter(int[])"/> for trainable leaves (never pooled).</para>
/// </summary>
public sealed partial class Tensor
{
    private readonly Storage _storage;
    private readonly int[] _shape;
    private readonly int[] _strides;
    private readonly int _offset;
    private readonly int _length;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        _storage = storage;
        _shape = shape;
        _strides = strides;
        _offset = offset;
        _length = ShapeOf.Count(shape);
    }

    /// <summary>Element type (always float32 today).</summary>
    public DType DType => DType.Float32;

    /// <summary>Dimensions, outermost first. Do not cast and mutate.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Element strides per dimension (elements, not bytes).</summary>
    public IReadOnlyList<int> Strides => _strides;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Total number of elements.</summary>
    public int Length => _length;

    /// <summary>Size of dimension <paramref name="dim"/>; negative counts from the end.</summary>
    public int Dim(int dim) => _shape[ShapeOf.Axis(dim, Rank, "Dim")];

    /// <summary>Optional name (parameters use it in messages and checkpoints).</summary>
    public string? Name { get; set; }

    /// <summary>True when elements are laid out densely in row-major order.</summary>
    public bool IsContiguous => ShapeOf.IsContiguous(_shape, _strides);

    internal float[] Data => _storage.Data;
    internal int Offset => _offset;
    internal int[] ShapeArray => _shape;
    internal int[] StrideArray => _strides;
    internal Storage Storage => _storage;

    /// <summary>The elements of a contiguous tensor as a span (throws for a non-contiguous view: call <see cref="Contiguous"/>).</summary>
    public Span<float> AsSpan()
    {
        if (!IsContiguous)
            throw new InvalidOperationException($"AsSpan: tensor {ShapeOf.Format(_shape)} with strides {ShapeOf.Format(_strides)} is not contiguous; call Contiguous() first.");
        return Data.AsSpan(_offset, _length);
    }

    /// <summary>Copies the elements (row-major) into a new array.</summary>
    public float[] ToArray()
    {
        var result = new float[_length];
        if (IsContiguous) Data.AsSpan(_offset, _length).CopyTo(result);
        else StridedCopy.ToContiguous(this, result);
        return result;
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (_length != 1) throw new InvalidOperationException($"Item: tensor {ShapeOf.Format(_shape)} has {_length} elements, not 1.");
        return Data[_offset];
    }

    /// <summary>Element at a full index (slow; for tests and debugging).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => Data[FlatIndex(index)];
        set => Data[FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"Indexer: {index.Length} indices for tensor {ShapeOf.Format(_shape)}.");
        int p = _offset;
        for (int d = 0; d < Rank; d++)
        {
            int i = index[d] < 0 ? index[d] + _shape[d] : index[d];
            if ((uint)i >= (uint)_shape[d]) throw new IndexOutOfRangeException($"Indexer: index {index[d]} out of range for dim {d} of tensor {ShapeOf.Format(_shape)}.");
            p += i * _strides[d];
        }
        return p;
    }

    /// <summary>Keeps this tensor's storage (shared with its views) alive past the current <see cref="TensorScope"/>.</summary>
    public Tensor Keep()
    {
        _storage.Keep();
        return this;
    }

    // ---- creation ----

    /// <summary>A new contiguous tensor with arbitrary contents, pooled inside a <see cref="TensorScope"/>.</summary>
    public static Tensor Empty(params int[] shape)
    {
        ShapeOf.Validate(shape, "Empty");
        return Allocate((int[])shape.Clone(), clear: false);
    }

    /// <summary>A new tensor of zeros (pooled inside a scope).</summary>
    public static Tensor Zeros(params int[] shape)
    {
        ShapeOf.Validate(shape, "Zeros");
        return Allocate((int[])shape.Clone(), clear: true);
    }

    /// <summary>A new tensor of ones (pooled inside a scope).</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A new tensor filled with <paramref name="value"/> (pooled inside a scope).</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = Empty(shape);
        t.AsSpan().Fill(value);
        return t;
    }

    /// <summary>A scalar (rank 0) tensor.</summary>
    public static Tensor Scalar(float value) => Full(value);

    /// <summary>Wraps <paramref name="data"/> (not copied, never pooled) as a tensor of the given shape.</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ShapeOf.Validate(shape, "FromArray");
        if (ShapeOf.Count(shape) != data.Length)
            throw new ArgumentException($"FromArray: {data.Length} values do not fill shape {ShapeOf.Format(shape)}.");
        var s = (int[])shape.Clone();
        return new Tensor(new Storage(data, pooled: false), s, ShapeOf.ContiguousStrides(s), 0);
    }

    /// <summary>Standard normal samples times <paramref name="std"/> (pooled inside a scope).</summary>
    public static Tensor Randn(Rng rng, float std, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Empty(shape);
        rng.Normal(t.AsSpan(), 0f, std);
        return t;
    }

    /// <summary>Uniform samples in [lo, hi) (pooled inside a scope).</summary>
    public static Tensor Rand(Rng rng, float lo, float hi, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Empty(shape);
        rng.Uniform(t.AsSpan(), lo, hi);
        return t;
    }

    /// <summary>0, 1, …, n−1 as floats.</summary>
    public static Tensor Arange(int n)
    {
        var t = Empty(n);
        var s = t.AsSpan();
        for (int i = 0; i < n; i++) s[i] = i;
        return t;
    }

    /// <summary>A trainable leaf of zeros: never pooled, <see cref="RequiresGrad"/> set. Fill it with <see cref="Rng"/> or <see cref="AsSpan"/>.</summary>
    public static Tensor Parameter(params int[] shape)
    {
        ShapeOf.Validate(shape, "Parameter");
        var s = (int[])shape.Clone();
        var t = new Tensor(new Storage(new float[ShapeOf.Count(s)], pooled: false), s, ShapeOf.ContiguousStrides(s), 0);
        t._requiresGrad = true;
        return t;
    }

    /// <summary>A trainable leaf holding a copy of <paramref name="initial"/>'s values.</summary>
    public static Tensor Parameter(Tensor initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        var p = Parameter(initial._shape);
        StridedCopy.ToContiguous(initial, p.Data);
        return p;
    }

    /// <summary>A new contiguous copy that shares nothing with this tensor and is not on the tape.</summary>
    public Tensor Clone()
    {
        var t = Empty(_shape);
        StridedCopy.ToContiguous(this, t.Data.AsSpan(0, _length));
        return t;
    }

    internal static Tensor Allocate(int[] shape, bool clear)
    {
        int n = ShapeOf.Count(shape);
        Storage storage;
        var scope = TensorScope.Current;
        if (scope is not null)
        {
            var buffer = TensorPool.Rent(n);
            if (clear) Array.Clear(buffer, 0, n);
            storage = new Storage(buffer, pooled: true);
            scope.Register(storage);
        }
        else
        {
            storage = new Storage(new float[n], pooled: false);
        }
        return new Tensor(storage, shape, ShapeOf.ContiguousStrides(shape), 0);
    }

    /// <summary>Like <see cref="Allocate"/> but never registered in a scope: the caller returns it with <see cref="ReleaseTemp"/>.</summary>
    internal static Tensor AllocateTemp(int[] shape, bool clear)
    {
        int n = ShapeOf.Count(shape);
        var buffer = TensorPool.Rent(n);
        if (clear) Array.Clear(buffer, 0, n);
        return new Tensor(new Storage(buffer, pooled: true), shape, ShapeOf.ContiguousStrides(shape), 0);
    }

    /// <summary>Returns a temporary's buffer to the pool now (no view of it may be used afterwards).</summary>
    internal void ReleaseTemp() => _storage.Release();

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeOf.Format(_shape));
        if (Name is not null) sb.Append(" '").Append(Name).Append('\'');
        if (_storage.IsReleased) return sb.Append(" (released)").ToString();
        sb.Append(" [");
        var values = ToArray();
        int shown = Math.Min(values.Length, 8);
        for (int i = 0; i < shown; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(values[i].ToString("G5", CultureInfo.InvariantCulture));
        }
        if (values.Length > shown) sb.Append(", …");
        return sb.Append(']').ToString();
    }
}
