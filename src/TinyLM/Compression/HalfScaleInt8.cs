using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Compression;

/// <summary>
/// Symmetric per-row int8 quantization whose scales are exact float16 values, so a file stores them in 2 bytes
/// instead of 4 with no change to the model: each scale is max|row| / 127 rounded up to the next float16
/// (rounding up keeps every q within [−127, 127]), and the values are quantized against that rounded scale.
/// A matrix whose scales fall outside float16's normal range (|w| below ~0.0078 or above ~8.3 million in a row)
/// keeps float32 scales.
/// </summary>
public static class HalfScaleInt8
{
    private static readonly float MinNormal = (float)BitConverter.UInt16BitsToHalf(0x0400);

    /// <summary>Quantizes a row-major (rows, cols) matrix.</summary>
    public static Int8Matrix Quantize(ReadOnlySpan<float> weights, int rows, int cols)
    {
        var exact = Int8Matrix.Quantize(weights, rows, cols);
        var scales = new float[rows];
        for (int r = 0; r < rows; r++)
            if (!TryRoundUp(exact.Scales[r], out scales[r])) return exact;
        var values = new sbyte[(long)rows * cols];
        Span<float> scaled = cols <= 1024 ? stackalloc float[cols] : new float[cols];
        for (int r = 0; r < rows; r++)
        {
            if (scales[r] == 0f) continue;
            TensorPrimitives.Divide(weights.Slice(r * cols, cols), scales[r], scaled);
            TensorPrimitives.Round(scaled, scaled);
            TensorPrimitives.Clamp(scaled, -127f, 127f, scaled);
            TensorPrimitives.ConvertTruncating<float, sbyte>(scaled, values.AsSpan(r * cols, cols));
        }
        return Int8Matrix.FromQuantized(values, scales, rows, cols);
    }

    /// <summary>
    /// <paramref name="scale"/> rounded up to the next float16 value (0 stays 0); false when it lies outside float16's
    /// normal range, where the caller keeps float32 scales.
    /// </summary>
    internal static bool TryRoundUp(float scale, out float half)
    {
        half = 0f;
        if (scale == 0f) return true;
        if (scale < MinNormal || scale > (float)Half.MaxValue) return false;
        Half h = (Half)scale;
        if ((float)h < scale) h = Half.BitIncrement(h);
        half = (float)h;
        return true;
    }

    /// <summary>Whether every scale of <paramref name="matrix"/> is an exact float16 value (then files store them as F16).</summary>
    public static bool HasHalfScales(Int8Matrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return HalfPrecision.IsExact(matrix.Scales);
    }
}
