namespace TinyLM.Tests.Kernels;

/// <summary>Every GEMM test tolerance, in one place.</summary>
internal static class GemmTolerances
{
    /// <summary>float32 unit roundoff.</summary>
    public const double Epsilon = 5.96e-8;

    /// <summary>
    /// Allowed |C − reference| per unit of the magnitude that flows into the element
    /// (|alpha|·Σ|a·b| + |beta·c|), per term of the sum: the classic k·ε bound with a small safety factor.
    /// </summary>
    public const double PerTermFactor = 2.0;

    /// <summary>Floor for elements whose magnitude is ~0.</summary>
    public const double Absolute = 1e-6;

    public static double Bound(int k, double magnitude) => PerTermFactor * (k + 2) * Epsilon * magnitude + Absolute;
}
