using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>The vector width a kernel runs at. Ordered: a higher level may use every narrower one.</summary>
public enum SimdLevel
{
    /// <summary>Plain scalar code; runs everywhere and is the reference for the integer paths.</summary>
    Scalar,
    /// <summary>Vector128: SSE on x64, AdvSimd (NEON) on ARM64.</summary>
    V128,
    /// <summary>Vector256 with FMA and AVX2 (x64).</summary>
    V256,
    /// <summary>Vector512 with AVX-512 F and BW (x64).</summary>
    V512,
}

/// <summary>What TINYLM_SIMD asked for, resolved against a CPU: the level to run, the quantized AVX-VNNI choice, and
/// a one-line warning when the request could not be honoured as written (null when it was).</summary>
internal readonly record struct SimdChoice(SimdLevel Level, bool Vnni, string? Warning);

/// <summary>
/// The one SIMD switch. Every kernel takes its level from <see cref="Level"/>, which is read from TINYLM_SIMD
/// (scalar|v128|v256|v512, or vnni = v256 with the quantized kernels on AVX-VNNI; unset or auto = the best this CPU
/// runs) once per process. A level the CPU lacks is clamped down to the best it has and <see cref="Warning"/> says so;
/// the library never writes to the console, so the CLI prints it. Tests force levels with <see cref="Force"/> or by
/// passing a level to a kernel's internal overload.
/// </summary>
public static class Simd
{
    /// <summary>The environment variable read at start-up.</summary>
    public const string EnvironmentVariable = "TINYLM_SIMD";

    private static readonly SimdChoice _configured =
        Resolve(Environment.GetEnvironmentVariable(EnvironmentVariable), DetectHardware(), AvxVnni.IsSupported);

    private static int _level = (int)_configured.Level;

    /// <summary>The widest level this CPU (and runtime) accelerates.</summary>
    public static SimdLevel Hardware { get; } = DetectHardware();

    /// <summary>The level every kernel runs at now.</summary>
    public static SimdLevel Level => (SimdLevel)Volatile.Read(ref _level);

    /// <summary>Why TINYLM_SIMD was not followed as written (unknown text, or a level this CPU lacks); null when it was.</summary>
    public static string? Warning => _configured.Warning;

    /// <summary>
    /// Whether the quantized int8 kernels use AVX-VNNI at <see cref="SimdLevel.V256"/>: on by default where the CPU has it,
    /// off under TINYLM_SIMD=v256 so the plain AVX2 path stays testable, on under TINYLM_SIMD=vnni.
    /// </summary>
    internal static bool Vnni => _configured.Vnni && AvxVnni.IsSupported;

    /// <summary>Whether this CPU can run <paramref name="level"/> natively.</summary>
    public static bool IsSupported(SimdLevel level) => level <= Hardware;

    /// <summary>The level to run for a request: <paramref name="level"/> itself, or the best this CPU has below it.</summary>
    public static SimdLevel Clamp(SimdLevel level) => level <= Hardware ? level : Hardware;

    /// <summary>The name TINYLM_SIMD uses for <paramref name="level"/>: scalar, v128, v256 or v512.</summary>
    public static string Name(SimdLevel level) => level.ToString().ToLowerInvariant();

    /// <summary>
    /// Sets the process-wide level until the returned scope is disposed (then the previous level returns). For tests and
    /// benchmarks: the level is global, so callers must not run while other code depends on it (xunit: a collection with
    /// parallelization disabled). Throws for a level this CPU lacks rather than run something else silently.
    /// </summary>
    internal static ForcedLevel Force(SimdLevel level)
    {
        if (!IsSupported(level))
            throw new NotSupportedException($"SIMD level {Name(level)} is not supported by this CPU (best: {Name(Hardware)}).");
        return new ForcedLevel(Interlocked.Exchange(ref _level, (int)level));
    }

    /// <summary>Restores the level that was in force before <see cref="Force"/>.</summary>
    internal readonly struct ForcedLevel(int previous) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref _level, previous);
    }

    /// <summary>Reads a TINYLM_SIMD value against a CPU whose best level is <paramref name="hardware"/>.</summary>
    internal static SimdChoice Resolve(string? text, SimdLevel hardware, bool hasVnni)
    {
        string value = text?.Trim().ToLowerInvariant() ?? "";
        SimdLevel requested;
        bool vnni = false;
        switch (value)
        {
            case "" or "auto":
                return new SimdChoice(hardware, hasVnni, null);
            case "scalar": requested = SimdLevel.Scalar; break;
            case "v128": requested = SimdLevel.V128; break;
            case "v256": requested = SimdLevel.V256; break;
            case "v512": requested = SimdLevel.V512; break;
            case "vnni": requested = SimdLevel.V256; vnni = true; break;
            default:
                return new SimdChoice(hardware, hasVnni,
                    $"{EnvironmentVariable}={text} is not one of auto|scalar|v128|v256|v512|vnni; running {Name(hardware)}.");
        }
        if (requested > hardware)
            return new SimdChoice(hardware, false,
                $"{EnvironmentVariable}={value}: this CPU lacks {Name(requested)}; running {Name(hardware)}.");
        if (vnni && !hasVnni)
            return new SimdChoice(requested, false, $"{EnvironmentVariable}=vnni: this CPU lacks AVX-VNNI; running v256 (AVX2).");
        return new SimdChoice(requested, vnni, null);
    }

    private static SimdLevel DetectHardware()
    {
        // The V512 kernels use AVX-512 BW integer multiply-adds next to the float FMAs, and the V256 ones AVX2 and FMA;
        // Vector512.IsHardwareAccelerated is also false where the runtime judges 512-bit code slower (some Intel parts).
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Avx512BW.IsSupported) return SimdLevel.V512;
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported) return SimdLevel.V256;
        if (Vector128.IsHardwareAccelerated) return SimdLevel.V128;
        return SimdLevel.Scalar;
    }
}
