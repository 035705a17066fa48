using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels.Recurrent;

/// <summary>Tolerances for the recurrent kernel tests, in one place.</summary>
internal static class RecurrentTolerance
{
    /// <summary>float32 kernel output vs float64 reference.</summary>
    public const double Forward = 2e-5;
    /// <summary>float32 analytic gradient vs float64 central differences: |a − n| ≤ Abs + Rel·|n|.</summary>
    public const double GradAbs = 1e-4;
    public const double GradRel = 1e-3;
    /// <summary>Central-difference step in float64.</summary>
    public const double Eps = 1e-6;
}

/// <summary>
/// One random recurrent problem: inputs, parameters and initial states as float32 (what the kernel
/// sees) plus the loss weights used to turn outputs into a scalar for gradient checks.
/// Parameter order everywhere: x, weight_ih, weight_hh, bias_ih, bias_hh, h0, c0.
/// </summary>
internal sealed class RecurrentProblem
{
    public required RecurrentShape Shape { get; init; }
    public required int Gates { get; init; }
    public required int[]? Lengths { get; init; }
    public required float[][] Params { get; init; }
    public required float[] LossY { get; init; }
    public required float[] LossH { get; init; }
    public required float[] LossC { get; init; }

    public float[] X => Params[0];
    public float[] WeightIh => Params[1];
    public float[] WeightHh => Params[2];
    public float[] BiasIh => Params[3];
    public float[] BiasHh => Params[4];
    public float[] H0 => Params[5];
    public float[] C0 => Params[6];

    public int[] EffectiveLengths => Lengths ?? Enumerable.Repeat(Shape.SeqLen, Shape.Batch).ToArray();

    public static readonly string[] Names = ["x", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h0", "c0"];

    public static RecurrentProblem Create(int seed, RecurrentShape shape, int gates, int[]? lengths, bool withBias = true, bool withH0 = true)
    {
        var rng = new Random(seed);
        float[] Uniform(long n, double scale)
        {
            var a = new float[n];
            for (long i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
            return a;
        }
        int b = shape.Batch, t = shape.SeqLen, i = shape.InputSize, h = shape.HiddenSize;
        return new RecurrentProblem
        {
            Shape = shape,
            Gates = gates,
            Lengths = lengths,
            Params =
            [
                Uniform((long)b * t * i, 1.0),
                Uniform((long)gates * h * i, 0.6),
                Uniform((long)gates * h * h, 0.6),
                withBias ? Uniform(gates * h, 0.5) : [],
                withBias ? Uniform(gates * h, 0.5) : [],
                withH0 ? Uniform((long)b * h, 0.8) : [],
                withH0 ? Uniform((long)b * h, 0.8) : [],
            ],
            LossY = Uniform((long)b * t * h, 1.0),
            LossH = Uniform((long)b * h, 1.0),
            LossC = Uniform((long)b * h, 1.0),
        };
    }

    public double[][] ParamsAsDouble() => Params.Select(p => p.Select(v => (double)v).ToArray()).ToArray();
}

/// <summary>Plain float64 LSTM and GRU, one sequence and one step at a time, straight from the equations.</summary>
internal static class RecurrentReference
{
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>Returns y (B, T, H) with zeros at padding, hN and cN (B, H).</summary>
    public static (double[] Y, double[] HN, double[] CN) Lstm(RecurrentShape s, int[] lens, double[][] p)
    {
        int nb = s.Batch, nt = s.SeqLen, ni = s.InputSize, nh = s.HiddenSize;
        double[] x = p[0], wih = p[1], whh = p[2], bih = p[3], bhh = p[4], h0 = p[5], c0 = p[6];
        var y = new double[nb * nt * nh];
        var hN = new double[nb * nh];
        var cN = new double[nb * nh];
        for (int b = 0; b < nb; b++)
        {
            var h = new double[nh];
            var c = new double[nh];
            if (h0.Length > 0) { Array.Copy(h0, b * nh, h, 0, nh); Array.Copy(c0, b * nh, c, 0, nh); }
            for (int k = 0; k < lens[b]; k++)
            {
                int t = s.Reverse ? lens[b] - 1 - k : k;
                var pre = new double[4 * nh];
                for (int r = 0; r < 4 * nh; r++)
                {
                    double v = bih.Length > 0 ? bih[r] + bhh[r] : 0;
                    for (int i = 0; i < ni; i++) v += wih[r * ni + i] * x[(b * nt + t) * ni + i];
                    for (int j = 0; j < nh; j++) v += whh[r * nh + j] * h[j];
                    pre[r] = v;
                }
                for (int j = 0; j < nh; j++)
                {
                    double ig = Sigmoid(pre[j]), fg = Sigmoid(pre[nh + j]), gg = Math.Tanh(pre[2 * nh + j]), og = Sigmoid(pre[3 * nh + j]);
                    c[j] = fg * c[j] + ig * gg;
                    h[j] = og * Math.Tanh(c[j]);
                    y[(b * nt + t) * nh + j] = h[j];
                }
            }
            Array.Copy(h, 0, hN, b * nh, nh);
            Array.Copy(c, 0, cN, b * nh, nh);
        }
        return (y, hN, cN);
    }

    /// <summary>Returns y (B, T, H) with zeros at padding and hN (B, H).</summary>
    public static (double[] Y, double[] HN) Gru(RecurrentShape s, int[] lens, double[][] p)
    {
        int nb = s.Batch, nt = s.SeqLen, ni = s.InputSize, nh = s.HiddenSize;
        double[] x = p[0], wih = p[1], whh = p[2], bih = p[3], bhh = p[4], h0 = p[5];
        var y = new double[nb * nt * nh];
        var hN = new double[nb * nh];
        for (int b = 0; b < nb; b++)
        {
            var h = new double[nh];
            if (h0.Length > 0) Array.Copy(h0, b * nh, h, 0, nh);
            for (int k = 0; k < lens[b]; k++)
            {
                int t = s.Reverse ? lens[b] - 1 - k : k;
                var gi = new double[3 * nh];
                var gh = new double[3 * nh];
                for (int r = 0; r < 3 * nh; r++)
                {
                    double vi = bih.Length > 0 ? bih[r] : 0, vh = bhh.Length > 0 ? bhh[r] : 0;
                    for (int i = 0; i < ni; i++) vi += wih[r * ni + i] * x[(b * nt + t) * ni + i];
                    for (int j = 0; j < nh; j++) vh += whh[r * nh + j] * h[j];
                    gi[r] = vi;
                    gh[r] = vh;
                }
                var hNew = new double[nh];
                for (int j = 0; j < nh; j++)
                {
                    double rg = Sigmoid(gi[j] + gh[j]);
                    double zg = Sigmoid(gi[nh + j] + gh[nh + j]);
                    double ng = Math.Tanh(gi[2 * nh + j] + rg * gh[2 * nh + j]);
                    hNew[j] = (1 - zg) * ng + zg * h[j];
                    y[(b * nt + t) * nh + j] = hNew[j];
                }
                h = hNew;
            }
            Array.Copy(h, 0, hN, b * nh, nh);
        }
        return (y, hN);
    }

    /// <summary>Σ y·wy + Σ hN·wh (+ Σ cN·wc): a scalar whose gradients exercise every output.</summary>
    public static double Loss(RecurrentProblem prob, double[][] p, bool lstm)
    {
        double sum = 0;
        if (lstm)
        {
            var (y, hN, cN) = Lstm(prob.Shape, prob.EffectiveLengths, p);
            for (int i = 0; i < y.Length; i++) sum += y[i] * prob.LossY[i];
            for (int i = 0; i < hN.Length; i++) sum += hN[i] * prob.LossH[i] + cN[i] * prob.LossC[i];
        }
        else
        {
            var (y, hN) = Gru(prob.Shape, prob.EffectiveLengths, p);
            for (int i = 0; i < y.Length; i++) sum += y[i] * prob.LossY[i];
            for (int i = 0; i < hN.Length; i++) sum += hN[i] * prob.LossH[i];
        }
        return sum;
    }

    /// <summary>Central differences of <see cref="Loss"/> for every element of every parameter.</summary>
    public static double[][] NumericGradients(RecurrentProblem prob, bool lstm)
    {
        double[][] p = prob.ParamsAsDouble();
        var grads = new double[p.Length][];
        for (int k = 0; k < p.Length; k++)
        {
            grads[k] = new double[p[k].Length];
            for (int e = 0; e < p[k].Length; e++)
            {
                double keep = p[k][e];
                p[k][e] = keep + RecurrentTolerance.Eps;
                double plus = Loss(prob, p, lstm);
                p[k][e] = keep - RecurrentTolerance.Eps;
                double minus = Loss(prob, p, lstm);
                p[k][e] = keep;
                grads[k][e] = (plus - minus) / (2 * RecurrentTolerance.Eps);
            }
        }
        return grads;
    }

    public static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double tol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol,
                $"{what}[{i}]: kernel {actual[i]:R}, reference {expected[i]:R}, tolerance {tol}");
    }

    public static void AssertGradient(double[] numeric, float[] analytic, string what)
    {
        Assert.True(numeric.Length == analytic.Length, $"{what}: length {analytic.Length}, expected {numeric.Length}");
        for (int i = 0; i < numeric.Length; i++)
        {
            double tol = RecurrentTolerance.GradAbs + RecurrentTolerance.GradRel * Math.Abs(numeric[i]);
            Assert.True(Math.Abs(numeric[i] - analytic[i]) <= tol,
                $"d{what}[{i}]: analytic {analytic[i]:R}, numeric {numeric[i]:R}, tolerance {tol:G3}");
        }
    }
}
