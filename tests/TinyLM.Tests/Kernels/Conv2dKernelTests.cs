using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels;

/// <summary>Vision: Conv2d im2col + GEMM against a naive float64 convolution and its adjoints, at every SIMD level.</summary>
public class Conv2dKernelTests
{
    public static readonly Conv2dShape[] Shapes =
    [
        new(1, 1, 5, 5, 3, 3),
        new(3, 4, 7, 6, 3, 3, PadH: 1, PadW: 1),
        new(4, 6, 9, 8, 3, 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilationH: 1, DilationW: 2, Groups: 2),
        new(6, 6, 8, 8, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 6), // depthwise
        new(8, 16, 6, 6, 1, 1), // pointwise
        new(2, 4, 10, 11, 5, 5, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2),
    ];

    private static double At(float[] x, Conv2dShape s, int n, int c, int y, int xx) =>
        (uint)y < (uint)s.Height && (uint)xx < (uint)s.Width ? x[((n * s.InChannels + c) * s.Height + y) * s.Width + xx] : 0.0;

    /// <summary>Naive float64 convolution, and for each output the list of (input index, weight index) pairs it sums.</summary>
    private static double[] Reference(Conv2dShape s, int batch, float[] x, float[] w, float[] b,
        Action<int, int, int>? visit = null)
    {
        int oh = s.OutHeight, ow = s.OutWidth, cg = s.InChannels / s.Groups, og = s.OutChannels / s.Groups;
        var y = new double[batch * s.OutChannels * oh * ow];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < s.OutChannels; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int outIndex = ((n * s.OutChannels + o) * oh + oy) * ow + ox;
                        double sum = b[o];
                        for (int c = 0; c < cg; c++)
                            for (int ky = 0; ky < s.KernelH; ky++)
                                for (int kx = 0; kx < s.KernelW; kx++)
                                {
                                    int iy = oy * s.StrideH - s.PadH + ky * s.DilationH, ix = ox * s.StrideW - s.PadW + kx * s.DilationW;
                                    int ci = o / og * cg + c, wi = ((o * cg + c) * s.KernelH + ky) * s.KernelW + kx;
                                    sum += At(x, s, n, ci, iy, ix) * w[wi];
                                    if (visit is not null && (uint)iy < (uint)s.Height && (uint)ix < (uint)s.Width)
                                        visit(outIndex, ((n * s.InChannels + ci) * s.Height + iy) * s.Width + ix, wi);
                                }
                        y[outIndex] = sum;
                    }
        return y;
    }

    private static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

    private static void AssertClose(string what, double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    public static TheoryData<SimdLevel, int> Cases()
    {
        var data = new TheoryData<SimdLevel, int>();
        foreach (var level in Enum.GetValues<SimdLevel>())
            for (int i = 0; i < Shapes.Length; i++) data.Add(level, i);
        return data;
    }

    [SimdTheory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_float64_reference(SimdLevel level, int shapeIndex)
    {
        var s = Shapes[shapeIndex];
        const int batch = 2;
        var options = new GemmOptions(level, GemmAlgorithm.Auto, 1);
        var rng = new Random(20 + shapeIndex);
        var x = Random(rng, batch * s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.WeightLength);
        var b = Random(rng, s.OutChannels);
        var y = new float[batch * s.OutChannels * s.OutHeight * s.OutWidth];
        Conv2dKernels.Forward(s, batch, x, w, b, y, options);
        AssertClose($"{level} {s} y", Reference(s, batch, x, w, b), y);

        // Backward against the float64 adjoint of the reference: dX[i] = Σ dY[o]·w, dW[j] = Σ dY[o]·x, dB[c] = Σ dY.
        var dy = Random(rng, y.Length);
        var dxRef = new double[x.Length];
        var dwRef = new double[w.Length];
        Reference(s, batch, x, w, b, (o, xi, wi) => { dxRef[xi] += (double)dy[o] * w[wi]; dwRef[wi] += (double)dy[o] * x[xi]; });
        var dbRef = new double[s.OutChannels];
        int hw = s.OutHeight * s.OutWidth;
        for (int i = 0; i < dy.Length; i++) dbRef[i / hw % s.OutChannels] += dy[i];
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        var db = new float[s.OutChannels];
        Conv2dKernels.Backward(s, batch, x, w, dy, dx, dw, db, options);
        AssertClose($"{level} {s} dX", dxRef, dx);
        AssertClose($"{level} {s} dW", dwRef, dw);
        AssertClose($"{level} {s} dB", dbRef, db);
    }

    [Fact]
    public void Gradient_matches_float64_finite_differences()
    {
        var s = Shapes[2];
        var rng = new Random(7);
        var x = Random(rng, s.InChannels * s.Height * s.Width);
        var w = Random(rng, s.WeightLength);
        var b = Random(rng, s.OutChannels);
        var dy = Random(rng, s.OutChannels * s.OutHeight * s.OutWidth);
        // Loss L = Σ dy·conv(x, w); its float64 value from the reference for finite differences.
        double Loss(float[] xs, float[] ws) => Reference(s, 1, xs, ws, b).Select((v, i) => v * dy[i]).Sum();
        var dx = new float[x.Length];
        var dw = new float[w.Length];
        Conv2dKernels.Backward(s, 1, x, w, dy, dx, dw, Span<float>.Empty);
        const float h = 1e-2f;
        foreach (int i in new[] { 0, 17, x.Length / 2, x.Length - 1 })
        {
            float keep = x[i];
            x[i] = keep + h; double up = Loss(x, w);
            x[i] = keep - h; double down = Loss(x, w);
            x[i] = keep;
            Assert.Equal((up - down) / (2 * h), dx[i], 2e-3);
        }
        foreach (int j in new[] { 0, 5, w.Length - 1 })
        {
            float keep = w[j];
            w[j] = keep + h; double up = Loss(x, w);
            w[j] = keep - h; double down = Loss(x, w);
            w[j] = keep;
            Assert.Equal((up - down) / (2 * h), dw[j], 2e-3);
        }
    }

    [Fact]
    public void Invalid_groups_are_refused_with_the_values()
    {
        var s = new Conv2dShape(3, 4, 5, 5, 3, 3, Groups: 2);
        var e = Assert.Throws<ArgumentException>(() => Conv2dKernels.Forward(s, 1, new float[75], new float[1], [], new float[1]));
        Assert.Contains("groups (2)", e.Message);
    }
}
