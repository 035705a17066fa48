namespace TinyLM.Tensors;

/// <summary>
/// A dense row-major int32 tensor for token ids, class labels and gather indices. Not differentiable and never
/// pooled; it wraps its array without copying.
/// </summary>
public sealed class IntTensor
{
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="data"/> as a tensor of <paramref name="shape"/> (a 1-D shape when omitted).</summary>
    public IntTensor(int[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        _shape = shape is null || shape.Length == 0 ? [data.Length] : (int[])shape.Clone();
        ShapeOf.Validate(_shape, "IntTensor");
        if (ShapeOf.Count(_shape) != data.Length)
            throw new ArgumentException($"IntTensor: {data.Length} values do not fill shape {ShapeOf.Format(_shape)}.");
        Data = data;
    }

    /// <summary>The elements, row-major.</summary>
    public int[] Data { get; }

    /// <summary>Dimensions.</summary>
    public IReadOnlyList<int> Shape => _shape;

    internal int[] ShapeArray => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Same data, new shape.</summary>
    public IntTensor Reshape(params int[] shape) => new(Data, shape);

    /// <summary>Throws unless every element is in [0, n) (or equals <paramref name="allowed"/>).</summary>
    internal void CheckRange(int n, string op, string what, int allowed = int.MinValue)
    {
        for (int i = 0; i < Data.Length; i++)
        {
            int v = Data[i];
            if ((uint)v >= (uint)n && v != allowed)
                throw new IndexOutOfRangeException($"{op}: {what} {v} at flat position {i} of {ShapeOf.Format(_shape)} is out of range [0, {n}).");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"IntTensor{ShapeOf.Format(_shape)}";
}
