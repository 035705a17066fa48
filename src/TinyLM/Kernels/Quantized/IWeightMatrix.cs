namespace TinyLM.Kernels;

/// <summary>
/// A weight matrix W (Rows, Cols) in some storage format (float32, int8 per row, Q8_0/Q4_0 blocks) that
/// computes y = x · Wᵀ + bias for a batch of rows. Lets inference code run any mix of formats layer by layer.
/// </summary>
public interface IWeightMatrix
{
    /// <summary>Output features.</summary>
    int Rows { get; }

    /// <summary>Input features.</summary>
    int Cols { get; }

    /// <summary>y (m, Rows) = x (m, Cols) · Wᵀ + bias (Rows, or empty for none). y is overwritten.</summary>
    void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y);
}

/// <summary>A float32 matrix behind <see cref="IWeightMatrix"/>: the reference format and the fallback for sensitive layers.</summary>
public sealed class FloatMatrix(float[] weights, int rows, int cols) : IWeightMatrix
{
    private readonly float[] _weights = weights.Length == (long)rows * cols ? weights
        : throw new ArgumentException($"FloatMatrix: {weights.Length} weights given, expected {rows}×{cols}.");

    public int Rows { get; } = rows;
    public int Cols { get; } = cols;

    public void Multiply(int m, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y)
    {
        WeightMatrixChecks.Check("FloatMatrix.Multiply", m, Rows, Cols, x.Length, bias.Length, y.Length);
        if (m == 0) return;
        if (bias.IsEmpty) y[..(m * Rows)].Clear();
        else for (int i = 0; i < m; i++) bias.CopyTo(y.Slice(i * Rows, Rows));
        Gemm.Multiply(false, true, m, Rows, Cols, 1f, x, Cols, _weights, Cols, 1f, y, Rows);
    }
}

internal static class WeightMatrixChecks
{
    public static void Check(string op, int m, int rows, int cols, int xLength, int biasLength, int yLength)
    {
        if (m < 0 || xLength < (long)m * cols || yLength < (long)m * rows || (biasLength != 0 && biasLength != rows))
            throw new ArgumentException(
                $"{op}: x holds {xLength}, y {yLength}, bias {biasLength} floats; expected x ≥ {m}×{cols}, y ≥ {m}×{rows}, bias {rows} or none.");
    }
}
