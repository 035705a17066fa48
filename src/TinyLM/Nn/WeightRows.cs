using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Nn;

/// <summary>
/// Row access to quantized matrices, for layers that read a weight by rows (an embedding lookup) rather than multiply
/// by it: int8 per row and the llama.cpp block formats.
/// </summary>
public static class WeightRows
{
    /// <summary>The whole matrix as float32 (Rows, Cols).</summary>
    public static float[] Dequantize(IWeightMatrix matrix) => matrix switch
    {
        Int8Matrix m => m.Dequantize(),
        BlockMatrix m => m.Dequantize(),
        _ => throw NotRowReadable(matrix),
    };

    /// <summary>Row <paramref name="row"/> as floats into the first Cols values of <paramref name="into"/>.</summary>
    public static void DequantizeRow(IWeightMatrix matrix, int row, Span<float> into)
    {
        switch (matrix)
        {
            case Int8Matrix m:
                var values = into[..m.Cols];
                TensorPrimitives.ConvertTruncating<sbyte, float>(m.Data.AsSpan(row * m.Stride, m.Cols), values);
                TensorPrimitives.Multiply(values, m.Scales[row], values);
                break;
            case BlockMatrix m:
                BlockQuant.Dequantize(m.Format, m.Data.AsSpan(row * m.RowBytes, m.RowBytes), into[..m.Cols]);
                break;
            default:
                throw NotRowReadable(matrix);
        }
    }

    /// <summary><paramref name="into"/> += row <paramref name="row"/> as floats; <paramref name="scratch"/> holds at least Cols floats.</summary>
    public static void AccumulateRow(IWeightMatrix matrix, int row, Span<float> scratch, Span<float> into)
    {
        if (matrix is Int8Matrix m)
        {
            // One conversion pass and one fused multiply-add instead of dequantizing, then adding.
            var values = scratch[..m.Cols];
            TensorPrimitives.ConvertTruncating<sbyte, float>(m.Data.AsSpan(row * m.Stride, m.Cols), values);
            TensorPrimitives.MultiplyAdd(values, m.Scales[row], into, into);
            return;
        }
        DequantizeRow(matrix, row, scratch);
        TensorPrimitives.Add(into, scratch[..matrix.Cols], into);
    }

    /// <summary>Whether rows of <paramref name="matrix"/> can be read (int8 per row or blocks).</summary>
    public static bool CanReadRows(IWeightMatrix matrix) => matrix is Int8Matrix or BlockMatrix;

    private static InvalidOperationException NotRowReadable(IWeightMatrix matrix) =>
        new($"{matrix.GetType().Name} is not a row-readable quantized format (int8 or blocks).");
}
