namespace TinyLM.Kernels;

/// <summary>Direct reads A (and B when not transposed) in place; Packed copies blocks first.</summary>
internal enum GemmAlgorithm { Auto, Direct, Packed }

/// <summary>
/// Path choices for one GEMM call. The public entry points use <see cref="Default"/>: the level of the one SIMD switch
/// (<see cref="Simd.Level"/>) and TINYLM_GEMM (direct|packed), read once, so every path can be forced on any machine;
/// tests pass their own options instead of touching global state.
/// </summary>
internal readonly record struct GemmOptions(SimdLevel Level, GemmAlgorithm Algorithm, int Threads)
{
    public static GemmAlgorithm ForcedAlgorithm { get; set; } =
        Environment.GetEnvironmentVariable("TINYLM_GEMM")?.Trim().ToLowerInvariant() switch
        {
            "direct" => GemmAlgorithm.Direct,
            "packed" => GemmAlgorithm.Packed,
            _ => GemmAlgorithm.Auto,
        };

    public static GemmOptions Default => new(Simd.Level, ForcedAlgorithm, Threading.MaxThreads);

    /// <summary>The level the call runs: the requested one, clamped to what this CPU has.</summary>
    public SimdLevel ResolvedLevel => Simd.Clamp(Level);
}
