using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// 2-D convolution over NCHW images (N, C_in, H, W) → (N, C_out, H_out, W_out) with stride, zero padding, dilation
/// and groups (depthwise when groups = C_in). Parameters use PyTorch's names, shapes and init: <c>weight</c>
/// (C_out, C_in/groups, K_h, K_w) and <c>bias</c> (C_out), both U(−1/√fan_in, 1/√fan_in), fan_in = C_in/groups·K_h·K_w.
/// One op on the tape; forward and backward are <see cref="Conv2dKernels"/> (im2col and the shared GEMM).
/// </summary>
public sealed class Conv2d : Module, ILayer
{
    /// <summary>(C_out, C_in/groups, K_h, K_w).</summary>
    public Tensor Weight { get; }

    /// <summary>(C_out), or null.</summary>
    public Tensor? Bias { get; }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }

    /// <summary>A square-kernel convolution with PyTorch's default initialisation drawn from <paramref name="rng"/>.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, Rng rng, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        // Validates every size with a message naming it; the spatial size here is a placeholder the kernel fits.
        new Conv2dShape(inChannels, outChannels, kernelSize * dilation, kernelSize * dilation, kernelSize, kernelSize,
            stride, stride, padding, padding, dilation, dilation, groups).Validate();
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        float bound = 1f / MathF.Sqrt(inChannels / groups * kernelSize * kernelSize);
        Weight = RegisterParameter("weight", Tensor.Parameter(outChannels, inChannels / groups, kernelSize, kernelSize));
        rng.Uniform(Weight.AsSpan(), -bound, bound);
        if (bias)
        {
            Bias = RegisterParameter("bias", Tensor.Parameter(outChannels));
            rng.Uniform(Bias.AsSpan(), -bound, bound);
        }
    }

    /// <summary>The geometry for an input of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public Conv2dShape ShapeFor(int height, int width) => new(InChannels, OutChannels, height, width, KernelSize, KernelSize,
        Stride, Stride, Padding, Padding, Dilation, Dilation, Groups);

    /// <summary>(N, C_in, H, W) → (N, C_out, H_out, W_out).</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Dim(1) != InChannels)
            throw new ArgumentException($"Conv2d: input must be (N, {InChannels}, H, W), got ({string.Join(", ", input.Shape)}).");
        return Apply(input, Weight, Bias, ShapeFor(input.Dim(2), input.Dim(3)));
    }

    /// <summary>The convolution as an op: input (N, C_in, H, W), weight (C_out, C_in/g, K_h, K_w), bias (C_out) or null.</summary>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, Conv2dShape shape)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        shape.Validate();
        if (input.Rank != 4 || input.Dim(1) != shape.InChannels || input.Dim(2) != shape.Height || input.Dim(3) != shape.Width)
            throw new ArgumentException($"Conv2d: input ({string.Join(", ", input.Shape)}) does not match {shape}.");
        if (weight.Length != shape.WeightLength)
            throw new ArgumentException($"Conv2d: weight ({string.Join(", ", weight.Shape)}) does not match {shape}.");
        if (bias is not null && bias.Length != shape.OutChannels)
            throw new ArgumentException($"Conv2d: bias ({string.Join(", ", bias.Shape)}) must have {shape.OutChannels} values.");
        Tensor x, w;
        Tensor? b;
        using (Tensor.NoGrad())
        {
            x = input.Contiguous();
            w = weight.Contiguous();
            b = bias?.Contiguous();
        }
        int n = x.Dim(0);
        var y = Tensor.Empty(n, shape.OutChannels, shape.OutHeight, shape.OutWidth); // (N, C_out, H_out, W_out)
        Conv2dKernels.Forward(shape, n, x.AsSpan(), w.AsSpan(), b is null ? default : b.AsSpan(), y.AsSpan());
        Tensor[] inputs = b is null ? [x, w] : [x, w, b];
        Tensor.Record("Conv2d", y, inputs, g =>
        {
            // The kernel always accumulates a weight gradient; a frozen weight gets a scratch buffer.
            var wg = w.RequiresGrad ? w.GradSpan() : new float[w.Length];
            Conv2dKernels.Backward(shape, n, x.AsSpan(), w.AsSpan(), g.AsSpan(), x.RequiresGrad ? x.GradSpan() : default, wg,
                b is not null && b.RequiresGrad ? b.GradSpan() : default);
        });
        return y;
    }
}
