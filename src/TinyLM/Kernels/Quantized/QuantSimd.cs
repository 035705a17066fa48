using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>Which integer dot-product path the quantized kernels run.</summary>
internal enum QuantSimd { Auto, Scalar, V256, V512, Vnni }

/// <summary>
/// Path selection for the int8 and block-quantized kernels. TINYLM_SIMD (scalar|v256|v512|vnni) forces a
/// path once at start-up; tests set <see cref="Forced"/> directly. A forced path the CPU lacks falls back to
/// the widest one below it that it has, so a forced run never faults.
/// Every path accumulates in exact int32 arithmetic and shares one float epilogue, so all paths give the
/// same bits.
/// </summary>
internal static class QuantPaths
{
    public static QuantSimd Forced { get; set; } = Environment.GetEnvironmentVariable("TINYLM_SIMD")?.Trim().ToLowerInvariant() switch
    {
        "scalar" => QuantSimd.Scalar,
        "v256" => QuantSimd.V256,
        "v512" => QuantSimd.V512,
        "vnni" => QuantSimd.Vnni,
        _ => QuantSimd.Auto,
    };

    /// <summary>Whether the CPU (and .NET) can run <paramref name="simd"/>.</summary>
    public static bool IsSupported(QuantSimd simd) => simd switch
    {
        QuantSimd.Scalar => true,
        QuantSimd.V256 => Avx2.IsSupported,
        QuantSimd.V512 => Avx512BW.IsSupported,
        // .NET 10 exposes VNNI only as AVX-VNNI (VEX, 256-bit); a CPU with AVX-512 VNNI alone does not light it up.
        QuantSimd.Vnni => AvxVnni.IsSupported,
        _ => true,
    };

    /// <summary>The path a call runs: the forced one if supported, else the best the CPU has.</summary>
    public static QuantSimd Resolve(QuantSimd requested)
    {
        // Auto: 16-wide AVX-512 panels first; 8-wide VNNI (one instruction per multiply-add) before plain AVX2.
        if (requested == QuantSimd.Auto)
            requested = IsSupported(QuantSimd.V512) ? QuantSimd.V512 : QuantSimd.Vnni;
        for (var s = requested; s > QuantSimd.Scalar; s--)
            if (s != QuantSimd.Auto && IsSupported(s)) return s;
        return QuantSimd.Scalar;
    }

    public static QuantSimd Current => Resolve(Forced);
}
