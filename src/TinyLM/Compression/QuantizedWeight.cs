using TinyLM.Kernels;

namespace TinyLM.Compression;

/// <summary>One quantized parameter: its PyTorch-style name, storage type and matrix.</summary>
public sealed record QuantizedWeight(string Name, QuantizationType Type, IWeightMatrix Matrix)
{
    /// <summary>The weights as float32 (Rows, Cols).</summary>
    public float[] Dequantize() => Matrix switch
    {
        Int8Matrix m => m.Dequantize(),
        BlockMatrix m => m.Dequantize(),
        _ => throw new InvalidOperationException($"QuantizedWeight '{Name}': {Matrix.GetType().Name} is not a quantized format."),
    };

    /// <summary>Row <paramref name="row"/> as floats (embedding lookup).</summary>
    public void DequantizeRow(int row, Span<float> into)
    {
        switch (Matrix)
        {
            case Int8Matrix m:
                var values = into[..m.Cols];
                System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<sbyte, float>(m.Data.AsSpan(row * m.Stride, m.Cols), values);
                System.Numerics.Tensors.TensorPrimitives.Multiply(values, m.Scales[row], values);
                break;
            case BlockMatrix m:
                BlockQuant.Dequantize(m.Format, m.Data.AsSpan(row * m.RowBytes, m.RowBytes), into[..m.Cols]);
                break;
            default:
                throw new InvalidOperationException($"QuantizedWeight '{Name}': {Matrix.GetType().Name} is not a quantized format.");
        }
    }

    /// <summary><paramref name="into"/> += row <paramref name="row"/> as floats; <paramref name="scratch"/> holds at least Cols floats.</summary>
    public void AccumulateRow(int row, Span<float> scratch, Span<float> into)
    {
        if (Matrix is Int8Matrix m)
        {
            // One conversion pass and one fused multiply-add instead of dequantizing, then adding.
            var values = scratch[..m.Cols];
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<sbyte, float>(m.Data.AsSpan(row * m.Stride, m.Cols), values);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(values, m.Scales[row], into, into);
            return;
        }
        DequantizeRow(row, scratch);
        System.Numerics.Tensors.TensorPrimitives.Add(into, scratch[..Matrix.Cols], into);
    }

    /// <summary>Bytes this weight takes in a model file (values plus scales).</summary>
    public long StoredBytes => Matrix switch
    {
        Int8Matrix m => (long)m.Rows * m.Cols + (HalfScaleInt8.HasHalfScales(m) ? 2L : 4L) * m.Rows,
        BlockMatrix m => (long)m.Rows * m.RowBytes,
        _ => 4L * Matrix.Rows * Matrix.Cols,
    };
}
