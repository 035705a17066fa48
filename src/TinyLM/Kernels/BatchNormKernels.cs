namespace TinyLM.Kernels;

/// <summary>
/// Batch normalisation over NCHW tensors: per channel c, statistics over the N·H·W values of that channel
/// (biased variance, as PyTorch), y = γ·(x − μ)·σ⁻¹ + β. Sums run in float64 so a channel of many values keeps
/// its precision; each channel is independent, so the result does not depend on how work is split.
/// </summary>
public static class BatchNormKernels
{
    /// <summary>Per-channel batch mean and biased variance of x[N, C, S] (S = H·W).</summary>
    public static void Statistics(int batch, int channels, int spatial, ReadOnlySpan<float> x, Span<float> mean, Span<float> variance)
    {
        Check(batch, channels, spatial, x.Length, mean.Length, variance.Length);
        long count = (long)batch * spatial;
        if (count == 0) throw new ArgumentException("BatchNorm: statistics of an empty batch");
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                foreach (float v in x.Slice((n * channels + c) * spatial, spatial)) sum += v;
            double mu = sum / count, sq = 0;
            for (int n = 0; n < batch; n++)
                foreach (float v in x.Slice((n * channels + c) * spatial, spatial)) sq += (v - mu) * (v - mu);
            mean[c] = (float)mu;
            variance[c] = (float)(sq / count);
        }
    }

    /// <summary>y = γ·(x − mean)·invStd + β per channel; γ and β may be empty (1 and 0).</summary>
    public static void Normalize(int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y)
    {
        Check(batch, channels, spatial, x.Length, mean.Length, invStd.Length);
        if (y.Length != x.Length) throw new ArgumentException($"BatchNorm output has {y.Length} values, expected {x.Length}");
        CheckAffine(channels, gamma.Length, beta.Length);
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                float scale = invStd[c] * (gamma.IsEmpty ? 1f : gamma[c]);
                float shift = (beta.IsEmpty ? 0f : beta[c]) - mean[c] * scale;
                int at = (n * channels + c) * spatial;
                var dst = y.Slice(at, spatial);
                System.Numerics.Tensors.TensorPrimitives.Multiply(x.Slice(at, spatial), scale, dst);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, shift, dst);
            }
    }

    /// <summary>
    /// Gradients of <see cref="Normalize"/> with batch statistics (training mode): dγ += Σ dy·x̂, dβ += Σ dy and, when
    /// <paramref name="batchStatistics"/>, dx += γ·invStd/M·(M·dy − Σdy − x̂·Σ dy·x̂) (M = N·S, the statistics
    /// depend on x); otherwise dx += γ·invStd·dy (running statistics are constants). Empty spans skip a gradient.
    /// </summary>
    public static void Backward(int batch, int channels, int spatial, ReadOnlySpan<float> x, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> outputGrad, bool batchStatistics,
        Span<float> inputGrad, Span<float> gammaGrad, Span<float> betaGrad)
    {
        Check(batch, channels, spatial, x.Length, mean.Length, invStd.Length);
        if (outputGrad.Length != x.Length) throw new ArgumentException($"BatchNorm output gradient has {outputGrad.Length} values, expected {x.Length}");
        if (!inputGrad.IsEmpty && inputGrad.Length != x.Length) throw new ArgumentException($"BatchNorm input gradient has {inputGrad.Length} values, expected {x.Length}");
        CheckAffine(channels, gamma.Length, gamma.Length);
        if (!gammaGrad.IsEmpty && gammaGrad.Length != channels) throw new ArgumentException($"BatchNorm γ gradient has {gammaGrad.Length} values, expected {channels}");
        if (!betaGrad.IsEmpty && betaGrad.Length != channels) throw new ArgumentException($"BatchNorm β gradient has {betaGrad.Length} values, expected {channels}");
        double m = (double)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            float mu = mean[c], istd = invStd[c];
            for (int n = 0; n < batch; n++)
            {
                int at = (n * channels + c) * spatial;
                for (int i = 0; i < spatial; i++)
                {
                    double dy = outputGrad[at + i];
                    sumDy += dy;
                    sumDyXhat += dy * (x[at + i] - mu) * istd;
                }
            }
            if (!gammaGrad.IsEmpty) gammaGrad[c] += (float)sumDyXhat;
            if (!betaGrad.IsEmpty) betaGrad[c] += (float)sumDy;
            if (inputGrad.IsEmpty) continue;
            double g = (gamma.IsEmpty ? 1.0 : gamma[c]) * istd;
            double meanDy = batchStatistics ? sumDy / m : 0, meanDyXhat = batchStatistics ? sumDyXhat / m : 0;
            for (int n = 0; n < batch; n++)
            {
                int at = (n * channels + c) * spatial;
                for (int i = 0; i < spatial; i++)
                {
                    double xhat = (x[at + i] - mu) * istd;
                    inputGrad[at + i] += (float)(g * (outputGrad[at + i] - meanDy - xhat * meanDyXhat));
                }
            }
        }
    }

    private static void Check(int batch, int channels, int spatial, int x, int mean, int other)
    {
        if (batch < 0 || channels <= 0 || spatial <= 0)
            throw new ArgumentException($"BatchNorm: invalid sizes batch={batch} channels={channels} spatial={spatial}");
        if (x != (long)batch * channels * spatial) throw new ArgumentException($"BatchNorm input has {x} values, expected {(long)batch * channels * spatial}");
        if (mean != channels || other != channels) throw new ArgumentException($"BatchNorm statistics have {mean} and {other} values, expected {channels}");
    }

    private static void CheckAffine(int channels, int gamma, int beta)
    {
        if ((gamma != 0 && gamma != channels) || (beta != 0 && beta != channels))
            throw new ArgumentException($"BatchNorm γ/β have {gamma}/{beta} values, expected {channels} (or none)");
    }
}
