using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Batch normalisation over the channels of NCHW images (PyTorch's BatchNorm2d). In training mode each channel is
/// normalised with the batch's mean and biased variance, and the running estimates move by
/// <see cref="Momentum"/> towards the batch's mean and unbiased variance; in evaluation mode the running estimates
/// are used. Parameters <c>weight</c> (γ, ones) and <c>bias</c> (β, zeros); buffers <c>running_mean</c> (zeros) and
/// <c>running_var</c> (ones) are not trained and are listed by <see cref="NamedBuffers"/> so a model file keeps them.
/// </summary>
public sealed class BatchNorm2d : Module, ILayer
{
    /// <summary>(C) γ.</summary>
    public Tensor Weight { get; }

    /// <summary>(C) β.</summary>
    public Tensor Bias { get; }

    /// <summary>(C) running mean (not a parameter).</summary>
    public Tensor RunningMean { get; }

    /// <summary>(C) running variance (not a parameter).</summary>
    public Tensor RunningVar { get; }

    public int Channels { get; }
    public float Eps { get; }

    /// <summary>Weight of the newest batch in the running estimates.</summary>
    public float Momentum { get; }

    public BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), $"BatchNorm2d: channels {channels} must be positive.");
        if (!(eps > 0) || !(momentum is > 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), $"BatchNorm2d: eps {eps} must be positive and momentum {momentum} in (0, 1].");
        (Channels, Eps, Momentum) = (channels, eps, momentum);
        Weight = RegisterParameter("weight", Tensor.Parameter(channels));
        Weight.AsSpan().Fill(1f);
        Bias = RegisterParameter("bias", Tensor.Parameter(channels));
        RunningMean = Tensor.Zeros(channels).Keep();
        RunningVar = Tensor.Ones(channels).Keep();
    }

    /// <summary>The running statistics under their PyTorch names.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers()
    {
        yield return new("running_mean", RunningMean);
        yield return new("running_var", RunningVar);
    }

    /// <summary>(N, C, H, W) → (N, C, H, W).</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Dim(1) != Channels)
            throw new ArgumentException($"BatchNorm2d: input must be (N, {Channels}, H, W), got ({string.Join(", ", input.Shape)}).");
        Tensor x;
        using (Tensor.NoGrad()) x = input.Contiguous();
        int n = x.Dim(0), c = Channels, spatial = x.Dim(2) * x.Dim(3);
        var mean = new float[c];
        var invStd = new float[c];
        bool batchStatistics = Training;
        if (batchStatistics)
        {
            long count = (long)n * spatial;
            if (count < 2) throw new ArgumentException($"BatchNorm2d: training needs more than one value per channel, got input ({string.Join(", ", input.Shape)}).");
            var variance = new float[c];
            BatchNormKernels.Statistics(n, c, spatial, x.AsSpan(), mean, variance);
            var rm = RunningMean.AsSpan();
            var rv = RunningVar.AsSpan();
            // Recording is off while checking gradients numerically; the running estimates still move, as in PyTorch.
            for (int i = 0; i < c; i++)
            {
                invStd[i] = 1f / MathF.Sqrt(variance[i] + Eps);
                rm[i] = (1 - Momentum) * rm[i] + Momentum * mean[i];
                rv[i] = (1 - Momentum) * rv[i] + Momentum * variance[i] * count / (count - 1);
            }
        }
        else
        {
            RunningMean.AsSpan().CopyTo(mean);
            var rv = RunningVar.AsSpan();
            for (int i = 0; i < c; i++) invStd[i] = 1f / MathF.Sqrt(rv[i] + Eps);
        }
        var y = Tensor.Empty(n, c, x.Dim(2), x.Dim(3)); // (N, C, H, W)
        BatchNormKernels.Normalize(n, c, spatial, x.AsSpan(), mean, invStd, Weight.AsSpan(), Bias.AsSpan(), y.AsSpan());
        Tensor gamma = Weight, beta = Bias;
        Tensor.Record("BatchNorm2d", y, [x, gamma, beta], g =>
            BatchNormKernels.Backward(n, c, spatial, x.AsSpan(), mean, invStd, gamma.AsSpan(), g.AsSpan(), batchStatistics,
                x.RequiresGrad ? x.GradSpan() : default, gamma.RequiresGrad ? gamma.GradSpan() : default,
                beta.RequiresGrad ? beta.GradSpan() : default));
        return y;
    }
}
