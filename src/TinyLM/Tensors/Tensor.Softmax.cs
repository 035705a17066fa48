using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Tensors;

// Softmax family and the classification losses, fused with log-softmax so the backward is one pass.
public sealed partial class Tensor
{
    /// <summary>Softmax over <paramref name="axis"/> (last by default).</summary>
    public Tensor Softmax(int axis = -1)
    {
        int ax = ShapeOf.Axis(axis, Rank, "Softmax");
        if (ax != Rank - 1) return Transpose(ax, -1).Softmax(-1).Transpose(ax, -1);
        var x = Contiguous();
        int n = Rank == 0 ? 1 : _shape[^1];
        int rows = n == 0 ? 0 : _length / n;
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        SoftmaxKernels.Softmax(x.AsSpan(), y.AsSpan(), rows, n);
        if (AnyRequiresGrad(x))
            Record("Softmax", y, [x], g => SoftmaxKernels.SoftmaxBackward(y.AsSpan(), g.AsSpan(), x.GradSpan(), rows, n, accumulate: true));
        return y;
    }

    /// <summary>Log-softmax over <paramref name="axis"/> (last by default).</summary>
    public Tensor LogSoftmax(int axis = -1)
    {
        int ax = ShapeOf.Axis(axis, Rank, "LogSoftmax");
        if (ax != Rank - 1) return Transpose(ax, -1).LogSoftmax(-1).Transpose(ax, -1);
        var x = Contiguous();
        int n = Rank == 0 ? 1 : _shape[^1];
        int rows = n == 0 ? 0 : _length / n;
        var y = Allocate((int[])x._shape.Clone(), clear: false);
        SoftmaxKernels.LogSoftmax(x.AsSpan(), y.AsSpan(), rows, n);
        if (AnyRequiresGrad(x))
            Record("LogSoftmax", y, [x], g => SoftmaxKernels.LogSoftmaxBackward(y.AsSpan(), g.AsSpan(), x.GradSpan(), rows, n, accumulate: true));
        return y;
    }

    /// <summary>
    /// Mean cross-entropy between logits (…, C) and class indices (…): −Σ q·log_softmax(x) per row with
    /// q = (1−ε)·onehot + ε/C (label smoothing ε), averaged over rows whose target is not
    /// <paramref name="ignoreIndex"/>. All rows ignored gives 0. Throws on out-of-range targets and on a NaN/Inf loss.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, IntTensor targets, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank < 1) throw new ArgumentException("CrossEntropy: logits must have a class dimension.");
        int c = logits._shape[^1];
        int rows = c == 0 ? 0 : logits._length / c;
        if (targets.Length != rows)
            throw new ArgumentException($"CrossEntropy: targets {ShapeOf.Format(targets.ShapeArray)} do not match logits {ShapeOf.Format(logits._shape)} (one target per row of the last dim).");
        if (!(labelSmoothing >= 0f && labelSmoothing < 1f)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropy: label smoothing {labelSmoothing} not in [0, 1).");
        targets.CheckRange(c, "CrossEntropy", "target", ignoreIndex);

        var x = logits.Contiguous();
        var lp = AllocateTemp((int[])x._shape.Clone(), clear: false); // log-probabilities, kept for the backward
        SoftmaxKernels.LogSoftmax(x.AsSpan(), lp.AsSpan(), rows, c);
        var lps = lp.AsSpan();
        var t = targets.Data;
        double total = 0;
        int count = 0;
        float eps = labelSmoothing;
        for (int r = 0; r < rows; r++)
        {
            if (t[r] == ignoreIndex) continue;
            var row = lps.Slice(r * c, c);
            double l = -(1.0 - eps) * row[t[r]];
            if (eps > 0) l -= eps / c * TensorPrimitives.Sum(row);
            total += l;
            count++;
        }
        float loss = count == 0 ? 0f : (float)(total / count);
        if (!float.IsFinite(loss))
        {
            lp.ReleaseTemp();
            throw new ArithmeticException($"CrossEntropy: loss is {loss} for logits {ShapeOf.Format(logits._shape)} (the logits contain NaN or Inf).");
        }
        var y = Allocate([], clear: false);
        y.Data[0] = loss;
        if (AnyRequiresGrad(x))
            Record("CrossEntropy", y, [x], g =>
            {
                float scale = count == 0 ? 0f : g.Data[0] / count;
                var d = x.GradSpan();
                var p = lp.AsSpan();
                for (int r = 0; r < rows; r++)
                {
                    if (t[r] == ignoreIndex) continue;
                    var pr = p.Slice(r * c, c);
                    var dr = d.Slice(r * c, c);
                    // d loss / d logits = softmax − q.
                    for (int j = 0; j < c; j++) dr[j] += scale * (MathF.Exp(pr[j]) - eps / c);
                    dr[t[r]] -= scale * (1f - eps);
                }
                lp.ReleaseTemp();
            });
        else lp.ReleaseTemp();
        return y;
    }

    /// <summary>
    /// Mean binary cross-entropy with logits: mean(max(x,0) − x·y + log(1 + e^−|x|)), stable for any x.
    /// Targets are probabilities of the same shape.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (!ShapeOf.SameShape(logits._shape, targets._shape))
            throw new ArgumentException($"BinaryCrossEntropyWithLogits: logits {ShapeOf.Format(logits._shape)} and targets {ShapeOf.Format(targets._shape)} differ.");
        var x = logits.Contiguous();
        Tensor yt;
        using (NoGrad()) yt = targets.Contiguous();
        var xs = x.AsSpan();
        var ys = yt.AsSpan();
        double total = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            float v = xs[i];
            total += Math.Max(v, 0f) - v * ys[i] + Math.Log(1.0 + Math.Exp(-Math.Abs(v)));
        }
        int n = Math.Max(xs.Length, 1);
        float loss = (float)(total / n);
        if (!float.IsFinite(loss))
            throw new ArithmeticException($"BinaryCrossEntropyWithLogits: loss is {loss} for logits {ShapeOf.Format(logits._shape)}.");
        var y = Allocate([], clear: false);
        y.Data[0] = loss;
        if (AnyRequiresGrad(x))
            Record("BinaryCrossEntropyWithLogits", y, [x], g =>
            {
                float scale = g.Data[0] / n;
                var d = x.GradSpan();
                var xv = x.AsSpan();
                var tv = yt.AsSpan();
                for (int i = 0; i < xv.Length; i++) d[i] += scale * (SigmoidOperator.Invoke(xv[i]) - tv[i]);
            });
        return y;
    }
}
