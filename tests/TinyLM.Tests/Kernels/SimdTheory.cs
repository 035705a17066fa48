using System.Runtime.Intrinsics.X86;
using TinyLM.Kernels;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace TinyLM.Tests.Kernels;

/// <summary>
/// A theory whose first argument names a SIMD path (a <see cref="SimdLevel"/>, or its name, or "Vnni"). A row whose path
/// this CPU lacks is reported as skipped with the reason, never run: a forced level falls back, so running it would
/// test the wrong code.
/// </summary>
[XunitTestCaseDiscoverer("TinyLM.Tests.Kernels.SimdTheoryDiscoverer", "TinyLM.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SimdTheoryAttribute : TheoryAttribute;

/// <summary>Skips the rows of a <see cref="SimdTheoryAttribute"/> whose path this CPU lacks.</summary>
public sealed class SimdTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions discoveryOptions,
        ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow)
    {
        string? lacking = dataRow.Length > 0 ? SimdPaths.Lacking(dataRow[0]) : null;
        return lacking is null
            ? base.CreateTestCasesForDataRow(discoveryOptions, testMethod, theoryAttribute, dataRow)
            : CreateTestCasesForSkippedDataRow(discoveryOptions, testMethod, theoryAttribute, dataRow, lacking);
    }
}

/// <summary>The SIMD paths the kernel tests run, as theory data.</summary>
public static class SimdPaths
{
    /// <summary>Every level, widest last; <see cref="SimdTheoryAttribute"/> skips those this CPU lacks.</summary>
    public static TheoryData<SimdLevel> Levels() => [SimdLevel.Scalar, SimdLevel.V128, SimdLevel.V256, SimdLevel.V512];

    /// <summary>The quantized paths by name: every level plus AVX-VNNI.</summary>
    public static TheoryData<string> QuantPaths() => ["Scalar", "V128", "V256", "Vnni", "V512"];

    /// <summary>(level, vnni) for a quantized path name.</summary>
    internal static (SimdLevel Level, bool Vnni) Quant(string path) =>
        path == "Vnni" ? (SimdLevel.V256, true) : (Enum.Parse<SimdLevel>(path), false);

    /// <summary>Why this CPU cannot run the path <paramref name="path"/> names, or null when it can (or it names none).</summary>
    internal static string? Lacking(object? path)
    {
        if (path is string name && name == "Vnni")
            return AvxVnni.IsSupported ? null : "this CPU lacks AVX-VNNI; the Vnni path was not run";
        SimdLevel level;
        if (path is SimdLevel l) level = l;
        else if (path is not string text || !Enum.TryParse(text, out level)) return null;
        return Simd.IsSupported(level) ? null
            : $"this CPU lacks {Simd.Name(level)} (it runs up to {Simd.Name(Simd.Hardware)}); that path was not run";
    }
}
