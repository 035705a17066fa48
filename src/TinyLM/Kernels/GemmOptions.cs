using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>Which micro-kernel GEMM runs. Auto picks the widest that the hardware accelerates.</summary>
internal enum GemmSimd { Auto, Scalar, V256, V512 }

/// <summary>Direct reads A (and B when not transposed) in place; Packed copies blocks first.</summary>
internal enum GemmAlgorithm { Auto, Direct, Packed }

/// <summary>
/// Path choices for one GEMM call. The public entry points use <see cref="Default"/>, which reads
/// TINYLM_SIMD (scalar|v256|v512) and TINYLM_GEMM (direct|packed) once, so every path can be forced
/// on any machine; tests pass their own options instead of touching global state.
/// </summary>
internal readonly record struct GemmOptions(GemmSimd Simd, GemmAlgorithm Algorithm, int Threads)
{
    public static GemmSimd ForcedSimd { get; set; } = Parse(Environment.GetEnvironmentVariable("TINYLM_SIMD"));

    public static GemmAlgorithm ForcedAlgorithm { get; set; } =
        Environment.GetEnvironmentVariable("TINYLM_GEMM")?.Trim().ToLowerInvariant() switch
        {
            "direct" => GemmAlgorithm.Direct,
            "packed" => GemmAlgorithm.Packed,
            _ => GemmAlgorithm.Auto,
        };

    public static GemmOptions Default => new(ForcedSimd, ForcedAlgorithm, Threading.MaxThreads);

    /// <summary>The kernel Auto resolves to on this machine.</summary>
    public static GemmSimd Best =>
        Vector512.IsHardwareAccelerated ? GemmSimd.V512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? GemmSimd.V256
        : GemmSimd.Scalar;

    public GemmSimd ResolvedSimd => Simd == GemmSimd.Auto ? Best : Simd;

    private static GemmSimd Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "scalar" => GemmSimd.Scalar,
        "v256" => GemmSimd.V256,
        "v512" => GemmSimd.V512,
        _ => GemmSimd.Auto,
    };
}
