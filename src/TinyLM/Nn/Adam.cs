using System.Runtime.Intrinsics;
using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Adam (Kingma &amp; Ba) with PyTorch's semantics and defaults (β = 0.9/0.999, ε = 1e-8): m ← β₁m + (1−β₁)g,
/// v ← β₂v + (1−β₂)g², p ← p − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε). Weight decay here is L2 added to the
/// gradient (PyTorch's Adam); <see cref="AdamW"/> decouples it. Buffers: <c>exp_avg</c>, <c>exp_avg_sq</c>.
/// The vector and scalar paths do the same float operations in the same order (no FMA), so results do not
/// depend on the vector width.
/// </summary>
public class Adam : Optimizer
{
    private static readonly string[] _kinds = ["exp_avg", "exp_avg_sq"];
    private readonly float[][] _m;
    private readonly float[][] _v;
    private readonly bool _decoupled;

    /// <summary>β₁.</summary>
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε added to the denominator.</summary>
    public float Eps { get; }

    /// <summary>Weight decay (L2 for Adam, decoupled for AdamW).</summary>
    public float WeightDecay { get; }

    /// <summary>Adam over named parameters.</summary>
    public Adam(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weightDecay = 0f, Func<string, Tensor, bool>? applyWeightDecay = null)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, applyWeightDecay, decoupled: false) { }

    /// <summary>Adam over a module's parameters.</summary>
    public Adam(Module module, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
        float weightDecay = 0f, Func<string, Tensor, bool>? applyWeightDecay = null)
        : this(module?.NamedParameters() ?? throw new ArgumentNullException(nameof(module)), learningRate, beta1, beta2, eps, weightDecay, applyWeightDecay, decoupled: false) { }

    /// <summary>Adam over unnamed parameters (keys <c>p{i}</c>).</summary>
    public Adam(IEnumerable<Tensor> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : this(Named(parameters), learningRate, beta1, beta2, eps, weightDecay, null, decoupled: false) { }

    /// <summary>Shared by <see cref="AdamW"/>.</summary>
    private protected Adam(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate, float beta1, float beta2, float eps,
        float weightDecay, Func<string, Tensor, bool>? applyWeightDecay, bool decoupled)
        : base(parameters, learningRate, applyWeightDecay)
    {
        string name = decoupled ? "AdamW" : "Adam";
        if (!(beta1 >= 0f && beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(beta1), $"{name}: beta1 {beta1} not in [0, 1).");
        if (!(beta2 >= 0f && beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(beta2), $"{name}: beta2 {beta2} not in [0, 1).");
        if (!(eps >= 0f)) throw new ArgumentOutOfRangeException(nameof(eps), $"{name}: eps {eps} must be ≥ 0.");
        if (!(weightDecay >= 0f)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"{name}: weight decay {weightDecay} must be ≥ 0.");
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _decoupled = decoupled;
        _m = NewBuffers();
        _v = NewBuffers();
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferKinds => _kinds;

    /// <inheritdoc/>
    protected override float[] Buffer(int kind, int index) => kind == 0 ? _m[index] : _v[index];

    /// <inheritdoc/>
    protected override void Update(int index, int offset, Span<float> p, ReadOnlySpan<float> g, bool decay)
    {
        float lr = LearningRate;
        float wd = decay ? WeightDecay : 0f;
        double t = StepCount;
        float stepSize = (float)(lr / (1.0 - Math.Pow(Beta1, t)));
        float invSqrtBc2 = (float)(1.0 / Math.Sqrt(1.0 - Math.Pow(Beta2, t)));
        float b1 = Beta1, b2 = Beta2, c1 = 1f - Beta1, c2 = 1f - Beta2, eps = Eps;
        // Decoupled decay shrinks the weights before the Adam step (PyTorch's AdamW order).
        float shrink = _decoupled ? 1f - lr * wd : 1f;
        float l2 = _decoupled ? 0f : wd;
        var m = _m[index].AsSpan(offset, p.Length);
        var v = _v[index].AsSpan(offset, p.Length);
        int j = 0;
        if (Simd.Level >= SimdLevel.V256)
        {
            var vb1 = Vector256.Create(b1); var vb2 = Vector256.Create(b2); var vc1 = Vector256.Create(c1); var vc2 = Vector256.Create(c2);
            var vstep = Vector256.Create(stepSize); var vinv = Vector256.Create(invSqrtBc2); var veps = Vector256.Create(eps);
            var vshrink = Vector256.Create(shrink); var vl2 = Vector256.Create(l2);
            for (; j + 8 <= p.Length; j += 8)
            {
                var pv = Vector256.Create<float>(p.Slice(j, 8));
                var gv = Vector256.Create<float>(g.Slice(j, 8)) + vl2 * pv;
                pv *= vshrink;
                var mv = vb1 * Vector256.Create<float>(m.Slice(j, 8)) + vc1 * gv;
                var vv = vb2 * Vector256.Create<float>(v.Slice(j, 8)) + vc2 * (gv * gv);
                mv.CopyTo(m.Slice(j, 8));
                vv.CopyTo(v.Slice(j, 8));
                var denom = Vector256.Sqrt(vv) * vinv + veps;
                (pv - vstep * (mv / denom)).CopyTo(p.Slice(j, 8));
            }
        }
        for (; j < p.Length; j++)
        {
            float pj = p[j];
            float gj = g[j] + l2 * pj;
            pj *= shrink;
            float mj = b1 * m[j] + c1 * gj;
            float vj = b2 * v[j] + c2 * (gj * gj);
            m[j] = mj;
            v[j] = vj;
            float denom = MathF.Sqrt(vj) * invSqrtBc2 + eps;
            p[j] = pj - stepSize * (mj / denom);
        }
    }
}
