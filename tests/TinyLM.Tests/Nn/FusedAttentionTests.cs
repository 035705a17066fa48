using TinyLM.Kernels;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Kernels;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Nn;

public class FusedAttentionTests
{
    public static TheoryData<string, int> Paths => new()
    {
        { "Scalar", 1 }, { "V128", 1 }, { "V256", 1 }, { "V512", 1 }, { "V256", 2 }, { "V512", 3 },
    };

    // (B, T, H, Hkv, D): odd lengths and widths that are not multiples of any vector width, GQA, T past 16.
    private static readonly (int B, int T, int H, int Hkv, int D)[] Shapes =
        [(1, 1, 1, 1, 1), (2, 5, 2, 1, 3), (3, 17, 4, 2, 8), (2, 37, 3, 3, 20), (1, 33, 4, 1, 32)];

    [SimdTheory]
    [MemberData(nameof(Paths))]
    public void Kernels_match_float64_reference(string path, int threads)
    {
        var simd = Enum.Parse<SimdLevel>(path);
        var rng = new Rng(5);
        foreach (var (b, t, h, hkv, d) in Shapes)
        {
            var q = Random(rng, b * t * h * d);
            var k = Random(rng, b * t * hkv * d);
            var v = Random(rng, b * t * hkv * d);
            var dOut = Random(rng, b * t * h * d);
            float scale = 1f / MathF.Sqrt(d);
            var o = new float[q.Length];
            var p = new float[b * h * t * t];
            AttentionKernels.CausalForward(q, k, v, o, p, b, t, h, hkv, d, scale, simd, threads);
            // Gradients add into what is there: start from ones and subtract them afterwards.
            var dq = Ones(q.Length);
            var dk = Ones(k.Length);
            var dv = Ones(v.Length);
            AttentionKernels.CausalBackward(q, k, v, p, dOut, dq, dk, dv, b, t, h, hkv, d, scale, simd, threads);
            var (ro, rdq, rdk, rdv) = Reference(q, k, v, dOut, b, t, h, hkv, d);
            string where = $"{path}/{threads} (B={b}, T={t}, H={h}, Hkv={hkv}, D={d})";
            AssertClose(ro, o, 0f, where + " o");
            AssertClose(rdq, dq, 1f, where + " dq");
            AssertClose(rdk, dk, 1f, where + " dk");
            AssertClose(rdv, dv, 1f, where + " dv");
            for (int bi = 0; bi < b; bi++)
                for (int hh = 0; hh < h; hh++)
                    for (int i = 0; i < t; i++)
                        for (int j = i + 1; j < t; j++)
                            Assert.Equal(0f, p[((bi * h + hh) * t + i) * t + j]);
        }
    }

    [Fact]
    public void Same_bits_at_every_thread_count()
    {
        var rng = new Rng(9);
        int b = 5, t = 29, h = 4, hkv = 2, d = 12;
        var q = Random(rng, b * t * h * d);
        var k = Random(rng, b * t * hkv * d);
        var v = Random(rng, b * t * hkv * d);
        var dOut = Random(rng, b * t * h * d);
        (float[], float[], float[], float[]) Run(int threads)
        {
            var o = new float[q.Length];
            var p = new float[b * h * t * t];
            var dq = new float[q.Length];
            var dk = new float[k.Length];
            var dv = new float[v.Length];
            AttentionKernels.CausalForward(q, k, v, o, p, b, t, h, hkv, d, 0.3f, Simd.Level, threads);
            AttentionKernels.CausalBackward(q, k, v, p, dOut, dq, dk, dv, b, t, h, hkv, d, 0.3f, Simd.Level, threads);
            return (o, dq, dk, dv);
        }
        var one = Run(1);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var other = Run(threads);
            Assert.Equal(one.Item1, other.Item1);
            Assert.Equal(one.Item2, other.Item2);
            Assert.Equal(one.Item3, other.Item3);
            Assert.Equal(one.Item4, other.Item4);
        }
    }

    [Fact]
    public void Op_gradients_match_finite_differences()
    {
        var rng = new Rng(21);
        var q = GradCheck.Input(rng, [2, 4, 2 * 3]);
        var k = GradCheck.Input(rng, [2, 4, 1 * 3]);
        var v = GradCheck.Input(rng, [2, 4, 1 * 3]);
        GradCheck.Check(x => FusedAttention.Causal(x[0], x[1], x[2], heads: 2, kvHeads: 1), q, k, v);
    }

    [Fact]
    public void Op_reads_strided_views_and_sends_their_gradients_back()
    {
        var rng = new Rng(22);
        var qkv = GradCheck.Input(rng, [2, 5, 3 * 8]);
        Tensor Run(Tensor x) => FusedAttention.Causal(x.Slice(2, 0, 8), x.Slice(2, 8, 16), x.Slice(2, 16, 24), heads: 2, kvHeads: 2);
        GradCheck.Check(x => Run(x[0]), qkv);
    }

    [Theory]
    [InlineData(4, 4, false)]
    [InlineData(4, 2, false)]
    [InlineData(4, 1, true)]
    public void Fused_and_composite_attention_agree(int heads, int kvHeads, bool rope)
    {
        var fused = new MultiHeadAttention(32, heads, new Rng(3), kvHeads, causal: true, rope: rope, maxPositions: 64);
        var composite = new MultiHeadAttention(32, heads, new Rng(3), kvHeads, causal: true, rope: rope, maxPositions: 64) { Fused = false };
        var rng = new Rng(4);
        var x1 = GradCheck.Input(rng, [3, 23, 32]);
        var x2 = Tensor.FromArray(x1.ToArray(), [3, 23, 32]);
        x2.RequiresGrad = true;
        var y1 = fused.Forward(x1);
        var y2 = composite.Forward(x2);
        AssertClose(y2.ToArray(), y1.ToArray(), 0f, "output");
        var r = new float[y1.Length];
        rng.Uniform(r, -1f, 1f);
        y1.Backward(Tensor.FromArray(r, [3, 23, 32]));
        y2.Backward(Tensor.FromArray(r, [3, 23, 32]));
        AssertClose(x2.Grad!.ToArray(), x1.Grad!.ToArray(), 0f, "dx");
        var p1 = fused.NamedParameters().ToArray();
        var p2 = composite.NamedParameters().ToArray();
        for (int i = 0; i < p1.Length; i++)
            AssertClose(p2[i].Value.Grad!.ToArray(), p1[i].Value.Grad!.ToArray(), 0f, p1[i].Key);
    }

    [Fact]
    public void Bad_shapes_name_the_op()
    {
        var q = Tensor.Zeros(2, 3, 8);
        var e = Assert.Throws<ArgumentException>(() => FusedAttention.Causal(q, Tensor.Zeros(2, 4, 8), Tensor.Zeros(2, 3, 8), 2, 2));
        Assert.Contains("FusedAttention.Causal", e.Message);
        e = Assert.Throws<ArgumentException>(() => FusedAttention.Causal(q, q, q, 3, 2));
        Assert.Contains("FusedAttention.Causal", e.Message);
    }

    private static float[] Random(Rng rng, int n)
    {
        var a = new float[n];
        rng.Normal(a);
        return a;
    }

    private static float[] Ones(int n)
    {
        var a = new float[n];
        Array.Fill(a, 1f);
        return a;
    }

    private static void AssertClose(double[] expected, float[] actual, float offset, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double a = actual[i] - offset;
            Assert.True(Math.Abs(a - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{what}[{i}]: {a} vs {expected[i]}");
        }
    }

    private static void AssertClose(float[] expected, float[] actual, float offset, string what)
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        AssertClose(e, actual, offset, what);
    }

    // Float64 attention and its gradients, straight from the definitions.
    private static (double[] O, double[] Dq, double[] Dk, double[] Dv) Reference(float[] q, float[] k, float[] v, float[] dOut,
        int b, int t, int h, int hkv, int d)
    {
        int g = h / hkv;
        double scale = 1 / Math.Sqrt(d);
        var o = new double[q.Length];
        var dq = new double[q.Length];
        var dk = new double[k.Length];
        var dv = new double[v.Length];
        for (int bi = 0; bi < b; bi++)
            for (int hh = 0; hh < h; hh++)
            {
                int j = hh / g;
                int Q(int i, int c) => (bi * t + i) * h * d + hh * d + c;
                int K(int i, int c) => (bi * t + i) * hkv * d + j * d + c;
                for (int i = 0; i < t; i++)
                {
                    var s = new double[i + 1];
                    double max = double.NegativeInfinity;
                    for (int jj = 0; jj <= i; jj++)
                    {
                        for (int c = 0; c < d; c++) s[jj] += q[Q(i, c)] * (double)k[K(jj, c)];
                        s[jj] *= scale;
                        max = Math.Max(max, s[jj]);
                    }
                    double sum = 0;
                    for (int jj = 0; jj <= i; jj++) sum += s[jj] = Math.Exp(s[jj] - max);
                    for (int jj = 0; jj <= i; jj++) s[jj] /= sum;
                    for (int jj = 0; jj <= i; jj++)
                        for (int c = 0; c < d; c++) o[Q(i, c)] += s[jj] * v[K(jj, c)];
                    var dp = new double[i + 1];
                    double delta = 0;
                    for (int jj = 0; jj <= i; jj++)
                    {
                        for (int c = 0; c < d; c++) dp[jj] += dOut[Q(i, c)] * (double)v[K(jj, c)];
                        delta += dp[jj] * s[jj];
                    }
                    for (int jj = 0; jj <= i; jj++)
                    {
                        double ds = s[jj] * (dp[jj] - delta) * scale;
                        for (int c = 0; c < d; c++)
                        {
                            dq[Q(i, c)] += ds * k[K(jj, c)];
                            dk[K(jj, c)] += ds * q[Q(i, c)];
                            dv[K(jj, c)] += s[jj] * dOut[Q(i, c)];
                        }
                    }
                }
            }
        return (o, dq, dk, dv);
    }
}
