using TinyLM.Kernels;

namespace TinyLM.Tensors;

// Normalisation over the last dimension, fused forward and backward.
public sealed partial class Tensor
{
    /// <summary>
    /// Layer norm over the last dimension: (x − mean)/√(var + eps) · weight + bias (biased variance, as in PyTorch).
    /// <paramref name="weight"/> and <paramref name="bias"/> are (D) or null.
    /// </summary>
    public Tensor LayerNorm(Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        int n = Rank == 0 ? 1 : _shape[^1];
        CheckNormParam(weight, n, "LayerNorm", "weight");
        CheckNormParam(bias, n, "LayerNorm", "bias");
        var x = Contiguous();
        int rows = n == 0 ? 0 : _length / n;
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        var stats = AllocateTemp([2, rows], clear: false); // mean row, then rstd row
        var w = weight?.Contiguous();
        var b = bias?.Contiguous();
        NormKernels.LayerNorm(x.AsSpan(), w is null ? default : w.AsSpan(), b is null ? default : b.AsSpan(), y.AsSpan(),
            stats.AsSpan()[..rows], stats.AsSpan()[rows..], rows, n, eps);
        var inputs = new List<Tensor>(3) { x };
        if (w is not null) inputs.Add(w);
        if (b is not null) inputs.Add(b);
        if (Autograd.IsEnabled && inputs.Exists(t => t.RequiresGrad))
            Record("LayerNorm", y, [.. inputs], g =>
            {
                NormKernels.LayerNormBackward(x.AsSpan(), w is null ? default : w.AsSpan(), stats.AsSpan()[..rows], stats.AsSpan()[rows..],
                    g.AsSpan(), x.RequiresGrad ? x.GradSpan() : default,
                    w is not null && w.RequiresGrad ? w.GradSpan() : default,
                    b is not null && b.RequiresGrad ? b.GradSpan() : default, rows, n);
                stats.ReleaseTemp();
            });
        else stats.ReleaseTemp();
        return y;
    }

    /// <summary>RMS norm over the last dimension: x / √(mean(x²) + eps) · weight (weight (D) or null).</summary>
    public Tensor RmsNorm(Tensor? weight, float eps = 1e-6f)
    {
        int n = Rank == 0 ? 1 : _shape[^1];
        CheckNormParam(weight, n, "RmsNorm", "weight");
        var x = Contiguous();
        int rows = n == 0 ? 0 : _length / n;
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        var rrms = AllocateTemp([rows], clear: false);
        var w = weight?.Contiguous();
        NormKernels.RmsNorm(x.AsSpan(), w is null ? default : w.AsSpan(), y.AsSpan(), rrms.AsSpan(), rows, n, eps);
        bool record = Autograd.IsEnabled && (x.RequiresGrad || (w?.RequiresGrad ?? false));
        if (record)
            Record("RmsNorm", y, w is null ? [x] : [x, w], g =>
            {
                NormKernels.RmsNormBackward(x.AsSpan(), w is null ? default : w.AsSpan(), rrms.AsSpan(), g.AsSpan(),
                    x.RequiresGrad ? x.GradSpan() : default, w is not null && w.RequiresGrad ? w.GradSpan() : default, rows, n);
                rrms.ReleaseTemp();
            });
        else rrms.ReleaseTemp();
        return y;
    }

    private static void CheckNormParam(Tensor? p, int n, string op, string what)
    {
        if (p is not null && (p.Rank != 1 || p._shape[0] != n))
            throw new ArgumentException($"{op}: {what} has shape {ShapeOf.Format(p._shape)}, expected ({n},).");
    }
}
