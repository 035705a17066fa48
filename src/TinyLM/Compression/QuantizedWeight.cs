using TinyLM.Kernels;
using TinyLM.Nn;

namespace TinyLM.Compression;

/// <summary>One quantized parameter: its PyTorch-style name, storage type and matrix.</summary>
public sealed record QuantizedWeight(string Name, QuantizationType Type, IWeightMatrix Matrix)
{
    /// <summary>The weights as float32 (Rows, Cols).</summary>
    public float[] Dequantize() => WeightRows.Dequantize(Matrix);

    /// <summary>Bytes this weight takes in a model file (values plus scales).</summary>
    public long StoredBytes => Matrix switch
    {
        Int8Matrix m => (long)m.Rows * m.Cols + (HalfScaleInt8.HasHalfScales(m) ? 2L : 4L) * m.Rows,
        BlockMatrix m => (long)m.Rows * m.RowBytes,
        _ => 4L * Matrix.Rows * Matrix.Cols,
    };
}
