using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>Exact (erf) GELU as one autograd op over <see cref="GeluKernels"/>.</summary>
public static class ExactGelu
{
    /// <summary>x·Φ(x) elementwise, any shape.</summary>
    public static Tensor Apply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Tensor xc;
        using (Tensor.NoGrad()) xc = x.Contiguous();
        var y = Tensor.Empty([.. x.Shape]);
        GeluKernels.Forward(xc.AsSpan(), y.AsSpan());
        // x's gradient buffer is contiguous in logical order, the layout of xc.
        Tensor.Record("GeluExact", y, [x], g => GeluKernels.Backward(xc.AsSpan(), g.AsSpan(), x.GradSpan(), accumulate: true));
        return y;
    }
}
