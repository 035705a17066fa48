using TinyLM.Tensors;
using TinyLM.Tests.Kernels;

namespace TinyLM.Tests.Tensors;

/// <summary>
/// MatMul over strided, permuted, narrowed and broadcast operands against a float64 reference, forward and
/// backward. Each case is a physical tensor plus a view of it; the view's logical values feed the reference.
/// </summary>
public class MatMulLayoutTests
{
    // A view applied to a freshly made contiguous tensor of the given physical shape.
    public sealed record Operand(string Name, int[] Physical, Func<Tensor, Tensor> View, bool Broadcasts = false)
    {
        public override string ToString() => Name;
    }

    private static Operand Plain(params int[] shape) => new($"{string.Join("x", shape)}", shape, t => t);

    // (B, T, M, K) for example: physical (B, T, H, D) permuted to (B, H, T, D).
    public static TheoryData<Operand, Operand> Cases => new()
    {
        // 3-D
        { Plain(2, 3, 4), Plain(2, 4, 5) },
        { new("(3,2,4)p102", [3, 2, 4], t => t.Permute(1, 0, 2)), Plain(2, 4, 5) },
        { new("(2,4,3)T", [2, 4, 3], t => t.Transpose(1, 2)), new("(2,5,4)T", [2, 5, 4], t => t.Transpose(1, 2)) },
        { new("(3,1,4)p102", [3, 1, 4], t => t.Permute(1, 0, 2)), new("(4,1,5)p102", [4, 1, 5], t => t.Permute(1, 0, 2)) },
        { new("(2,3,6)narrow", [2, 3, 6], t => t.Narrow(2, 1, 4)), new("(2,7,5)narrow", [2, 7, 5], t => t.Narrow(1, 2, 4)) },
        { new("(5,3,4)batchnarrow", [5, 3, 4], t => t.Narrow(0, 1, 2)), Plain(2, 4, 5) },
        { new("(1,3,4)expand", [1, 3, 4], t => t.Expand(2, 3, 4), true), Plain(2, 4, 5) },
        { Plain(2, 3, 4), new("(1,4,5)expandT", [1, 5, 4], t => t.Transpose(1, 2).Expand(2, 4, 5), true) },
        { new("(2,1,4)rowexpand", [2, 1, 4], t => t.Expand(2, 3, 4), true), Plain(2, 4, 5) },
        { new("(7,2,9)odd", [7, 2, 9], t => t.Permute(1, 0, 2).Narrow(2, 1, 8)), new("(2,11,8)oddT", [2, 11, 8], t => t.Transpose(1, 2)) },
        // 4-D: attention layouts (B, T, H, D) → (B, H, T, D), with H = 1 being the once-broken case
        { new("(2,5,1,7)p0213", [2, 5, 1, 7], t => t.Permute(0, 2, 1, 3)), new("(2,5,1,7)p0231", [2, 5, 1, 7], t => t.Permute(0, 2, 3, 1)) },
        { new("(2,5,3,7)p0213", [2, 5, 3, 7], t => t.Permute(0, 2, 1, 3)), new("(2,6,3,7)p0231", [2, 6, 3, 7], t => t.Permute(0, 2, 3, 1)) },
        { new("(2,5,1,5)p0213", [2, 5, 1, 5], t => t.Permute(0, 2, 1, 3)), new("(2,5,1,7)p0213", [2, 5, 1, 7], t => t.Permute(0, 2, 1, 3)) },
        { new("(1,5,3,7)p0213", [1, 5, 3, 7], t => t.Permute(0, 2, 1, 3)), new("(1,6,3,7)p0231", [1, 6, 3, 7], t => t.Permute(0, 2, 3, 1)) },
        { new("(5,1,3,7)p1203", [5, 1, 3, 7], t => t.Permute(1, 2, 0, 3)), new("(1,3,7,4)", [1, 3, 7, 4], t => t) },
        { new("(3,2,4,5)p1023", [3, 2, 4, 5], t => t.Permute(1, 0, 2, 3)), Plain(2, 3, 5, 6) },
        { new("(3,2,4,5)batchnarrow", [3, 2, 4, 5], t => t.Narrow(0, 1, 2).Narrow(1, 1, 1)), Plain(2, 1, 5, 3) },
        { new("(2,1,4,5)headexpand", [2, 1, 4, 5], t => t.Expand(2, 3, 4, 5), true), Plain(2, 3, 5, 6) },
        { new("(1,3,4,5)batchexpand", [1, 3, 4, 5], t => t.Expand(2, 3, 4, 5), true), new("(2,3,6,5)T", [2, 3, 6, 5], t => t.Transpose(2, 3)) },
        { Plain(2, 3, 4, 5), new("(2,5,1,6)p0213expand", [2, 5, 1, 6], t => t.Permute(0, 2, 1, 3).Expand(2, 3, 5, 6), true) },
        // Rank-2 right operand: the left batch folds into M
        { new("(2,5,3,7)p0213", [2, 5, 3, 7], t => t.Permute(0, 2, 1, 3)), new("(6,7)T", [6, 7], t => t.T) },
        { new("(2,5,1,7)p0213", [2, 5, 1, 7], t => t.Permute(0, 2, 1, 3)), Plain(7, 4) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_float64_reference_forward_and_backward(Operand opA, Operand opB)
    {
        var rng = new Rng(77);
        var leafA = Tensor.Randn(rng, 1f, opA.Physical);
        var leafB = Tensor.Randn(rng, 1f, opB.Physical);
        leafA.RequiresGrad = true;
        leafB.RequiresGrad = true;
        var va = opA.View(leafA);
        var vb = opB.View(leafB);
        var y = va.MatMul(vb);

        int m = va.Dim(-2), k = va.Dim(-1), n = vb.Dim(-1);
        int batch = y.Length / (m * n);
        int batchB = vb.Rank == 2 ? 1 : batch;
        var a = va.ToArray();
        var b = vb.ToArray();
        Assert.Equal(y.Length, batch * m * n);
        var g = Tensor.Randn(rng, 1f, [.. y.Shape]);
        var ga = g.ToArray();

        var yv = y.ToArray();
        var gradA = new double[a.Length];
        var gradB = new double[b.Length];
        var magA = new double[a.Length];
        var magB = new double[b.Length];
        for (int s = 0; s < batch; s++)
        {
            int offA = s * m * k, offB = batchB == 1 ? 0 : s * k * n, offC = s * m * n;
            var expected = GemmReference.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, [], n, offA, offB);
            for (int i = 0; i < m * n; i++)
                AssertNear($"forward {opA}·{opB} batch {s} element {i}", expected.Value[i], yv[offC + i], k, expected.Magnitude[i]);
            // dA = G·Bᵀ, dB = Aᵀ·G (summed over the batch when B is shared).
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                    for (int j = 0; j < n; j++)
                    {
                        double gv = ga[offC + i * n + j];
                        gradA[offA + i * k + p] += gv * b[offB + p * n + j];
                        gradB[offB + p * n + j] += gv * a[offA + i * k + p];
                        magA[offA + i * k + p] += Math.Abs(gv * b[offB + p * n + j]);
                        magB[offB + p * n + j] += Math.Abs(gv * a[offA + i * k + p]);
                    }
        }

        y.Backward(g);
        if (opA.Broadcasts || opB.Broadcasts) return; // leaf grads are sums over the broadcast: see Broadcast_grads
        var gotA = opA.View(leafA.Grad!).ToArray();
        var gotB = opB.View(leafB.Grad!).ToArray();
        for (int i = 0; i < gotA.Length; i++)
            AssertNear($"dA {opA}·{opB} element {i}", gradA[i], gotA[i], batch * n, magA[i]);
        for (int i = 0; i < gotB.Length; i++)
            AssertNear($"dB {opA}·{opB} element {i}", gradB[i], gotB[i], batch * m, magB[i]);
    }

    [Fact]
    public void Broadcast_grads_match_finite_differences()
    {
        var rng = new Rng(78);
        GradCheck.Check(x => x[0].Expand(2, 3, 4).MatMul(x[1]), GradCheck.Input(rng, [1, 3, 4]), GradCheck.Input(rng, [2, 4, 2]));
        GradCheck.Check(x => x[0].Expand(2, 3, 2, 4).MatMul(x[1].Permute(0, 2, 1, 3).Transpose(2, 3)),
            GradCheck.Input(rng, [2, 1, 2, 4]), GradCheck.Input(rng, [2, 3, 3, 4]));
        GradCheck.Check(x => x[0].Permute(0, 2, 1, 3).MatMul(x[1].Permute(0, 2, 3, 1)),
            GradCheck.Input(rng, [2, 3, 1, 4]), GradCheck.Input(rng, [2, 3, 1, 4]));
    }

    private static void AssertNear(string what, double expected, float actual, int terms, double magnitude)
    {
        double bound = GemmTolerances.Bound(terms, magnitude);
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: {actual:G9} vs {expected:G9} (bound {bound:G3})");
    }
}
