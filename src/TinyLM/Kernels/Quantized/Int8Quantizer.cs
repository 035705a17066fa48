using System.Numerics.Tensors;

namespace TinyLM.Kernels;

/// <summary>Symmetric per-row int8 quantization: q = round(x / s) with s = max|row| / 127, so q ∈ [−127, 127].</summary>
public static class Int8Quantizer
{
    /// <summary>
    /// Quantizes <paramref name="rows"/> rows of <paramref name="cols"/> floats (row stride <paramref name="ldSrc"/>)
    /// into int8 rows of stride <paramref name="ldDst"/>; columns past <paramref name="cols"/> in the destination are
    /// zeroed. An all-zero row gets scale 0 and zero values. Non-finite input is an error.
    /// </summary>
    public static void QuantizeRows(int rows, int cols, ReadOnlySpan<float> src, int ldSrc, Span<sbyte> dst, int ldDst, Span<float> scales)
    {
        if (rows < 0 || cols < 0 || ldSrc < cols || ldDst < cols || scales.Length < rows
            || (rows > 0 && (src.Length < (long)(rows - 1) * ldSrc + cols || dst.Length < (long)rows * ldDst)))
            throw new ArgumentException(
                $"Int8Quantizer.QuantizeRows: {rows}×{cols} with ldSrc={ldSrc} ldDst={ldDst} does not fit src {src.Length}, dst {dst.Length}, scales {scales.Length}.");
        Span<float> scaled = cols <= 1024 ? stackalloc float[cols] : new float[cols];
        for (int r = 0; r < rows; r++)
        {
            var x = src.Slice(r * ldSrc, cols);
            var q = dst.Slice(r * ldDst, ldDst);
            q[cols..].Clear();
            float amax = cols == 0 ? 0f : Math.Abs(TensorPrimitives.MaxMagnitude(x)); // NaN and ±∞ propagate
            if (!float.IsFinite(amax))
                throw new ArgumentException($"Int8Quantizer.QuantizeRows: row {r} holds {amax}; only finite values can be quantized.");
            if (amax == 0f)
            {
                scales[r] = 0f;
                q[..cols].Clear();
                continue;
            }
            scales[r] = amax / 127f;
            // |x · 127/amax| ≤ 127 up to rounding, so no clamp is needed after rounding to nearest even.
            TensorPrimitives.Multiply(x, 127f / amax, scaled);
            TensorPrimitives.Round(scaled, scaled);
            TensorPrimitives.ConvertTruncating<float, sbyte>(scaled, q[..cols]);
        }
    }
}
