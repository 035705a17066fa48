using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Tensors;

// Unary elementwise ops. Each backward reads the saved input or output, whichever is cheaper.
public sealed partial class Tensor
{
    /// <summary>eˣ.</summary>
    public Tensor Exp()
    {
        var (x, y) = UnaryForward<ExpOperator>();
        if (AnyRequiresGrad(x)) Record("Exp", y, [x], g => ElementwiseKernels.MultiplyAdd(g.AsSpan(), y.AsSpan(), x.GradSpan()));
        return y;
    }

    /// <summary>ln x.</summary>
    public Tensor Log()
    {
        var (x, y) = UnaryForward<LogOperator>();
        if (AnyRequiresGrad(x))
            Record("Log", y, [x], g =>
            {
                var xs = x.AsSpan(); var gs = g.AsSpan(); var d = x.GradSpan();
                for (int i = 0; i < xs.Length; i++) d[i] += gs[i] / xs[i];
            });
        return y;
    }

    /// <summary>√x.</summary>
    public Tensor Sqrt()
    {
        var (x, y) = UnaryForward<SqrtOperator>();
        if (AnyRequiresGrad(x))
            Record("Sqrt", y, [x], g =>
            {
                var ys = y.AsSpan(); var gs = g.AsSpan(); var d = x.GradSpan();
                for (int i = 0; i < ys.Length; i++) d[i] += 0.5f * gs[i] / ys[i];
            });
        return y;
    }

    /// <summary>tanh x.</summary>
    public Tensor Tanh()
    {
        var (x, y) = UnaryForward<TanhOperator>();
        if (AnyRequiresGrad(x))
            Record("Tanh", y, [x], g =>
            {
                var t = AllocateTemp(y._shape, clear: false);
                ElementwiseKernels.TanhBackward(y.AsSpan(), g.AsSpan(), t.AsSpan());
                x.AccumulateGrad(t);
                t.ReleaseTemp();
            });
        return y;
    }

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    public Tensor Sigmoid()
    {
        var (x, y) = UnaryForward<SigmoidOperator>();
        if (AnyRequiresGrad(x))
            Record("Sigmoid", y, [x], g =>
            {
                var t = AllocateTemp(y._shape, clear: false);
                ElementwiseKernels.SigmoidBackward(y.AsSpan(), g.AsSpan(), t.AsSpan());
                x.AccumulateGrad(t);
                t.ReleaseTemp();
            });
        return y;
    }

    /// <summary>max(x, 0); the gradient at 0 is 0.</summary>
    public Tensor Relu()
    {
        var (x, y) = UnaryForward<ReluOperator>();
        if (AnyRequiresGrad(x))
            Record("Relu", y, [x], g =>
            {
                var t = AllocateTemp(y._shape, clear: false);
                ElementwiseKernels.ReluBackward(x.AsSpan(), g.AsSpan(), t.AsSpan());
                x.AccumulateGrad(t);
                t.ReleaseTemp();
            });
        return y;
    }

    /// <summary>GELU, tanh approximation (GPT-2/nanoGPT form, see <see cref="ActivationKernels.GeluTanh"/>).</summary>
    public Tensor Gelu()
    {
        var x = Contiguous();
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        ActivationKernels.GeluTanh(x.AsSpan(), y.AsSpan());
        if (AnyRequiresGrad(x))
            Record("Gelu", y, [x], g =>
            {
                var t = AllocateTemp(y._shape, clear: false);
                ActivationKernels.GeluTanhBackward(x.AsSpan(), g.AsSpan(), t.AsSpan());
                x.AccumulateGrad(t);
                t.ReleaseTemp();
            });
        return y;
    }

    /// <summary>SiLU / swish: x · sigmoid(x).</summary>
    public Tensor Silu()
    {
        var x = Contiguous();
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        ActivationKernels.Silu(x.AsSpan(), y.AsSpan());
        if (AnyRequiresGrad(x))
            Record("Silu", y, [x], g =>
            {
                var t = AllocateTemp(y._shape, clear: false);
                ActivationKernels.SiluBackward(x.AsSpan(), g.AsSpan(), t.AsSpan());
                x.AccumulateGrad(t);
                t.ReleaseTemp();
            });
        return y;
    }

    /// <summary>|x|; the gradient at 0 is 0.</summary>
    public Tensor Abs()
    {
        var x = Contiguous();
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        TensorPrimitives.Abs(x.AsSpan(), y.AsSpan());
        if (AnyRequiresGrad(x))
            Record("Abs", y, [x], g =>
            {
                var xs = x.AsSpan(); var gs = g.AsSpan(); var d = x.GradSpan();
                for (int i = 0; i < xs.Length; i++) d[i] += xs[i] > 0 ? gs[i] : xs[i] < 0 ? -gs[i] : 0f;
            });
        return y;
    }

    /// <summary>min(max(x, lo), hi); the gradient passes only strictly inside (lo, hi).</summary>
    public Tensor Clamp(float lo, float hi)
    {
        if (lo > hi) throw new ArgumentException($"Clamp: lo {lo} > hi {hi}.");
        var x = Contiguous();
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        ElementwiseKernels.Clamp(x.AsSpan(), lo, hi, y.AsSpan());
        if (AnyRequiresGrad(x))
            Record("Clamp", y, [x], g =>
            {
                var xs = x.AsSpan(); var gs = g.AsSpan(); var d = x.GradSpan();
                for (int i = 0; i < xs.Length; i++) if (xs[i] > lo && xs[i] < hi) d[i] += gs[i];
            });
        return y;
    }

    /// <summary>x².</summary>
    public Tensor Square() => Pow(2f);

    private (Tensor X, Tensor Y) UnaryForward<TOp>() where TOp : IUnaryOperator
    {
        var x = Contiguous();
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        TOp.Invoke(x.AsSpan(), y.AsSpan());
        return (x, y);
    }
}
