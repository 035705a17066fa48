using System.Runtime.Intrinsics;
using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, PyTorch's
/// semantics (dampening 0): g ← g + wd·p; b ← μ·b + g (b = g on the first step); g ← g + μ·b (Nesterov) or b;
/// p ← p − lr·g. Buffer: <c>momentum_buffer</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] _kinds = ["momentum_buffer"];
    private readonly float[][] _momentum;

    /// <summary>Momentum factor μ (0 = plain SGD).</summary>
    public float Momentum { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <summary>SGD over named parameters.</summary>
    public Sgd(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate, float momentum = 0f, bool nesterov = false,
        float weightDecay = 0f, Func<string, Tensor, bool>? applyWeightDecay = null)
        : base(parameters, learningRate, applyWeightDecay)
    {
        if (!(momentum >= 0f && momentum < 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), $"Sgd: momentum {momentum} not in [0, 1).");
        if (nesterov && momentum == 0f) throw new ArgumentException("Sgd: Nesterov momentum needs momentum > 0.");
        if (!(weightDecay >= 0f)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"Sgd: weight decay {weightDecay} must be ≥ 0.");
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        _momentum = momentum > 0f ? NewBuffers() : [];
    }

    /// <summary>SGD over a module's parameters.</summary>
    public Sgd(Module module, float learningRate, float momentum = 0f, bool nesterov = false, float weightDecay = 0f,
        Func<string, Tensor, bool>? applyWeightDecay = null)
        : this(module?.NamedParameters() ?? throw new ArgumentNullException(nameof(module)), learningRate, momentum, nesterov, weightDecay, applyWeightDecay) { }

    /// <summary>SGD over unnamed parameters (keys <c>p{i}</c>).</summary>
    public Sgd(IEnumerable<Tensor> parameters, float learningRate, float momentum = 0f, bool nesterov = false, float weightDecay = 0f)
        : this(Named(parameters), learningRate, momentum, nesterov, weightDecay, null) { }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> BufferKinds => Momentum > 0f ? _kinds : [];

    /// <inheritdoc/>
    protected override float[] Buffer(int kind, int index) => _momentum[index];

    /// <inheritdoc/>
    protected override void Update(int index, int offset, Span<float> p, ReadOnlySpan<float> g, bool decay)
    {
        float lr = LearningRate, wd = decay ? WeightDecay : 0f, mu = Momentum;
        if (mu == 0f)
        {
            for (int i = 0; i < p.Length; i++) p[i] -= lr * (g[i] + wd * p[i]);
            return;
        }
        var b = _momentum[index].AsSpan(offset, p.Length);
        // PyTorch starts the buffer at the first gradient; with dampening 0 that equals μ·0 + g.
        float keep = StepCount == 1 ? 0f : mu;
        int j = 0;
        if (Simd.Level >= SimdLevel.V256)
        {
            var vlr = Vector256.Create(lr); var vwd = Vector256.Create(wd); var vmu = Vector256.Create(mu); var vkeep = Vector256.Create(keep);
            for (; j + 8 <= p.Length; j += 8)
            {
                var pv = Vector256.Create<float>(p.Slice(j, 8));
                var gv = Vector256.Create<float>(g.Slice(j, 8)) + vwd * pv;
                var bv = vkeep * Vector256.Create<float>(b.Slice(j, 8)) + gv;
                bv.CopyTo(b.Slice(j, 8));
                var dv = Nesterov ? gv + vmu * bv : bv;
                (pv - vlr * dv).CopyTo(p.Slice(j, 8));
            }
        }
        for (; j < p.Length; j++)
        {
            float gj = g[j] + wd * p[j];
            float bj = keep * b[j] + gj;
            b[j] = bj;
            float dj = Nesterov ? gj + mu * bj : bj;
            p[j] -= lr * dj;
        }
    }
}
