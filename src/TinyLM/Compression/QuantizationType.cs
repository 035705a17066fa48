using TinyLM.Kernels;

namespace TinyLM.Compression;

/// <summary>How quantized weights are stored.</summary>
public enum QuantizationType
{
    /// <summary>Symmetric int8 per output row (one F16 scale per row, F32 when out of F16 range), activations quantized per row at run time.</summary>
    Int8,
    /// <summary>llama.cpp Q8_0 blocks (32 values, f16 scale); rows need a multiple of 32 columns.</summary>
    Q8_0,
    /// <summary>llama.cpp Q4_0 blocks (32 values, f16 scale, 4-bit values); rows need a multiple of 32 columns.</summary>
    Q4_0,
    /// <summary>llama.cpp Q4_K super-blocks (256 values: 8 sub-blocks with 6-bit scales and mins, 4-bit values); rows need a multiple of 256 columns.</summary>
    Q4_K,
}

public static class QuantizationTypeExtensions
{
    /// <summary>The name used on the command line and in model files: int8, q8_0, q4_0, q4_k.</summary>
    public static string ToName(this QuantizationType type) => type switch
    {
        QuantizationType.Int8 => "int8",
        QuantizationType.Q8_0 => "q8_0",
        QuantizationType.Q4_0 => "q4_0",
        QuantizationType.Q4_K => "q4_k",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown quantization type"),
    };

    public static bool TryParse(string? name, out QuantizationType type)
    {
        foreach (var t in Enum.GetValues<QuantizationType>())
            if (string.Equals(t.ToName(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                type = t;
                return true;
            }
        type = default;
        return false;
    }

    /// <summary>The block layout of a block type; null for int8.</summary>
    public static BlockFormat? Block(this QuantizationType type) => type switch
    {
        QuantizationType.Q8_0 => BlockFormat.Q8_0,
        QuantizationType.Q4_0 => BlockFormat.Q4_0,
        QuantizationType.Q4_K => BlockFormat.Q4_K,
        _ => null,
    };

    /// <summary>Quantizes a (rows, cols) matrix; block types need cols to be a multiple of 32 (256 for q4_k); int8 scales are float16 values where they fit.</summary>
    public static IWeightMatrix Quantize(this QuantizationType type, ReadOnlySpan<float> weights, int rows, int cols) =>
        type.Block() is { } block ? BlockMatrix.Quantize(block, weights, rows, cols) : HalfScaleInt8.Quantize(weights, rows, cols);

    /// <summary>The type a quantized matrix is stored as: int8 (per row or an <see cref="Int8Table"/>) or its block format.</summary>
    public static QuantizationType TypeOf(IWeightMatrix matrix) => TryTypeOf(matrix, out var type) ? type
        : throw new ArgumentException($"{matrix?.GetType().Name ?? "null"} is not a quantized format.", nameof(matrix));

    /// <summary>The type <paramref name="matrix"/> is stored as, or false for a matrix that is not quantized (float32).</summary>
    public static bool TryTypeOf(IWeightMatrix? matrix, out QuantizationType type)
    {
        QuantizationType? found = matrix switch
        {
            Int8Matrix or Int8Table => QuantizationType.Int8,
            BlockMatrix { Format: BlockFormat.Q8_0 } => QuantizationType.Q8_0,
            BlockMatrix { Format: BlockFormat.Q4_0 } => QuantizationType.Q4_0,
            BlockMatrix { Format: BlockFormat.Q4_K } => QuantizationType.Q4_K,
            _ => null,
        };
        type = found.GetValueOrDefault();
        return found is not null;
    }

    /// <summary>Whether <paramref name="type"/> can store rows of <paramref name="cols"/> values.</summary>
    public static bool Fits(this QuantizationType type, int cols) => type.Block() is not { } block || cols % BlockQuant.BlockValues(block) == 0;
}
