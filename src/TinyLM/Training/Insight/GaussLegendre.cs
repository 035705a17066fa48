namespace TinyLM.Training.Insight;

/// <summary>
/// Gauss–Legendre quadrature on [0, 1]: n nodes and weights that integrate polynomials of degree ≤ 2n − 1 exactly.
/// Integrated gradients uses it for the path integral: for a smooth network, 32 nodes leave the completeness gap far
/// below what a 32-step Riemann sum does.
/// </summary>
public static class GaussLegendre
{
    /// <summary>Nodes in (0, 1), ascending, and their weights (summing to 1).</summary>
    public static (double[] Nodes, double[] Weights) OnUnitInterval(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var nodes = new double[n];
        var weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            // Newton's method on P_n from the Chebyshev-style first guess of the i-th largest root on [-1, 1].
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            for (int iteration = 0; iteration < 100; iteration++)
            {
                (double p, double dp) = Legendre(n, x);
                double step = p / dp;
                x -= step;
                if (Math.Abs(step) < 1e-15) break;
            }
            double derivative = Legendre(n, x).Derivative;
            double w = 2 / ((1 - x * x) * derivative * derivative);
            // Map [-1, 1] → [0, 1]: node (1 ± x) / 2, weight w / 2; the roots are symmetric about 0.
            nodes[n - 1 - i] = (1 + x) / 2;
            nodes[i] = (1 - x) / 2;
            weights[n - 1 - i] = w / 2;
            weights[i] = w / 2;
        }
        return (nodes, weights);
    }

    // P_n(x) and P_n'(x) by the three-term recurrence.
    private static (double Value, double Derivative) Legendre(int n, double x)
    {
        double p0 = 1, p1 = x;
        for (int k = 2; k <= n; k++)
        {
            double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
            p0 = p1;
            p1 = p2;
        }
        if (n == 0) return (1, 0);
        return (p1, n * (x * p1 - p0) / (x * x - 1));
    }
}
