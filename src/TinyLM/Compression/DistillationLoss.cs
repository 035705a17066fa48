using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Compression;

/// <summary>
/// The knowledge-distillation loss (Hinton et al. 2015) as one fused op over a batch of student logits z (B, C):
/// <code>
/// loss = mean over rows of  α·T²·KL(p ‖ softmax(z/T))  +  (1 − α)·CE(softmax(z), y)
/// </code>
/// with p the teacher's probabilities at temperature T. A row without a hard label (unlabeled text, label −1)
/// contributes only its soft term. The T² keeps the soft gradient, α·T·(softmax(z/T) − p), on the scale of the
/// hard one as T grows. The KL includes the constant Σ p·log p, so a student that matches the teacher scores 0.
/// </summary>
public static class DistillationLoss
{
    /// <summary>Marks a row that has no hard label (only the soft term applies).</summary>
    public const int Unlabeled = -1;

    /// <param name="logits">Student logits (B, C).</param>
    /// <param name="teacherProbabilities">softmax(teacher logits / T), B·C values, rows summing to 1.</param>
    /// <param name="labels">Hard label per row, or <see cref="Unlabeled"/>.</param>
    /// <param name="temperature">T &gt; 0.</param>
    /// <param name="alpha">Weight of the soft term, in [0, 1].</param>
    public static Tensor Compute(Tensor logits, ReadOnlySpan<float> teacherProbabilities, ReadOnlySpan<int> labels, float temperature, float alpha)
    {
        ArgumentNullException.ThrowIfNull(logits);
        Validate(temperature, alpha);
        if (logits.Rank != 2)
            throw new ArgumentException($"DistillationLoss: logits must be (B, C), got ({string.Join(", ", logits.Shape.ToArray())}).");
        int rows = logits.Dim(0), c = logits.Dim(1);
        if (teacherProbabilities.Length != rows * c)
            throw new ArgumentException($"DistillationLoss: {teacherProbabilities.Length} teacher probabilities for logits ({rows}, {c}); expected {rows * c}.");
        if (labels.Length != rows)
            throw new ArgumentException($"DistillationLoss: {labels.Length} labels for {rows} rows.");
        for (int r = 0; r < rows; r++)
            if (labels[r] != Unlabeled && (uint)labels[r] >= (uint)c)
                throw new ArgumentOutOfRangeException(nameof(labels), $"DistillationLoss: label {labels[r]} of row {r} is outside [0, {c}).");

        float[] x = logits.Contiguous().ToArray();
        float[] p = teacherProbabilities.ToArray();
        int[] y = labels.ToArray();
        var scaled = new float[x.Length];
        TensorPrimitives.Divide(x, temperature, scaled);
        var logQ = new float[x.Length];     // log softmax(z/T)
        var logS = new float[x.Length];     // log softmax(z)
        SoftmaxKernels.LogSoftmax(scaled, logQ, rows, c);
        SoftmaxKernels.LogSoftmax(x, logS, rows, c);

        double total = 0, t2 = (double)temperature * temperature;
        for (int r = 0; r < rows; r++)
        {
            double kl = 0;
            for (int j = 0; j < c; j++)
            {
                double pj = p[r * c + j];
                if (pj > 0) kl += pj * (Math.Log(pj) - logQ[r * c + j]);
            }
            total += alpha * t2 * kl;
            if (y[r] != Unlabeled) total -= (1 - alpha) * logS[r * c + y[r]];
        }
        float loss = rows == 0 ? 0f : (float)(total / rows);
        if (!float.IsFinite(loss))
            throw new ArithmeticException($"DistillationLoss: loss is {loss} for logits ({rows}, {c}) (NaN or Inf in the logits or teacher probabilities).");

        var output = Tensor.Scalar(loss);
        Tensor.Record("DistillationLoss", output, [logits], g =>
        {
            if (rows == 0) return;
            float scale = g.ToArray()[0] / rows;
            var grad = new float[x.Length];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < c; j++)
                {
                    int k = r * c + j;
                    // d(T²·KL)/dz = T·(q − p); d(CE)/dz = s − onehot.
                    float d = alpha * temperature * (MathF.Exp(logQ[k]) - p[k]);
                    if (y[r] != Unlabeled) d += (1 - alpha) * MathF.Exp(logS[k]);
                    grad[k] = scale * d;
                }
                if (y[r] != Unlabeled) grad[r * c + y[r]] -= scale * (1 - alpha);
            }
            logits.AccumulateGrad(Tensor.FromArray(grad, rows, c));
        });
        return output;
    }

    /// <summary>Teacher logits (N·C) → probabilities at temperature T, row by row.</summary>
    public static float[] SoftTargets(ReadOnlySpan<float> teacherLogits, int classes, float temperature)
    {
        Validate(temperature, 0f);
        if (classes < 1 || teacherLogits.Length % classes != 0)
            throw new ArgumentException($"DistillationLoss.SoftTargets: {teacherLogits.Length} logits are not rows of {classes} classes.");
        var scaled = new float[teacherLogits.Length];
        TensorPrimitives.Divide(teacherLogits, temperature, scaled);
        var probs = new float[scaled.Length];
        SoftmaxKernels.Softmax(scaled, probs, scaled.Length / classes, classes);
        return probs;
    }

    /// <summary>Throws when T ≤ 0 (or not finite) or α is outside [0, 1].</summary>
    public static void Validate(float temperature, float alpha)
    {
        if (!(temperature > 0) || !float.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"distillation temperature must be > 0, got {temperature}.");
        if (!(alpha is >= 0f and <= 1f))
            throw new ArgumentOutOfRangeException(nameof(alpha), $"distillation alpha must be in [0, 1], got {alpha}.");
    }
}
