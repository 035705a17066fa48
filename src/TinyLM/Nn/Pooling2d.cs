using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>A square 2-D pooling window over NCHW images; the stride defaults to the window.</summary>
public abstract class Pool2dModule(int kernelSize, int stride, int padding) : Module, ILayer
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride == 0 ? kernelSize : stride;
    public int Padding { get; } = padding;

    /// <summary>(N, C, H, W) → (N, C, H_out, W_out).</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"{GetType().Name}: input must be (N, C, H, W), got ({string.Join(", ", input.Shape)}).");
        var shape = new Pool2dShape(input.Dim(1), input.Dim(2), input.Dim(3), KernelSize, KernelSize, Stride, Stride, Padding, Padding);
        shape.Validate();
        Tensor x;
        using (Tensor.NoGrad()) x = input.Contiguous();
        var y = Tensor.Empty(x.Dim(0), shape.Channels, shape.OutHeight, shape.OutWidth); // (N, C, H_out, W_out)
        Pool(shape, x, y);
        return y;
    }

    /// <summary>Fills <paramref name="y"/> from the contiguous <paramref name="x"/> and records the op.</summary>
    private protected abstract void Pool(Pool2dShape shape, Tensor x, Tensor y);
}

/// <summary>Max pooling (PyTorch's MaxPool2d, floor mode); the gradient goes to the (first) position holding each window's maximum.</summary>
public sealed class MaxPool2d(int kernelSize, int stride = 0, int padding = 0) : Pool2dModule(kernelSize, stride, padding)
{
    private protected override void Pool(Pool2dShape shape, Tensor x, Tensor y)
    {
        var argmax = new int[y.Length];
        Pool2dKernels.MaxForward(shape, x.Dim(0), x.AsSpan(), y.AsSpan(), argmax);
        Tensor.Record("MaxPool2d", y, [x], g => Pool2dKernels.MaxBackward(g.AsSpan(), argmax, x.GradSpan()));
    }
}

/// <summary>Average pooling (PyTorch's AvgPool2d: floor mode, padding counted in the divisor).</summary>
public sealed class AvgPool2d(int kernelSize, int stride = 0, int padding = 0) : Pool2dModule(kernelSize, stride, padding)
{
    private protected override void Pool(Pool2dShape shape, Tensor x, Tensor y)
    {
        int n = x.Dim(0);
        Pool2dKernels.AvgForward(shape, n, x.AsSpan(), y.AsSpan());
        Tensor.Record("AvgPool2d", y, [x], g => Pool2dKernels.AvgBackward(shape, n, g.AsSpan(), x.GradSpan()));
    }
}

/// <summary>Global average pooling (N, C, H, W) → (N, C): the mean of each channel's plane.</summary>
public sealed class GlobalAvgPool2d : Module, ILayer
{
    /// <summary>(N, C, H, W) → (N, C).</summary>
    public Tensor Forward(Tensor input) => Apply(input);

    /// <summary>Global average pooling as an op.</summary>
    public static Tensor Apply(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"GlobalAvgPool2d: input must be (N, C, H, W), got ({string.Join(", ", input.Shape)}).");
        Tensor x;
        using (Tensor.NoGrad()) x = input.Contiguous();
        int n = x.Dim(0), c = x.Dim(1), plane = x.Dim(2) * x.Dim(3);
        var y = Tensor.Empty(n, c); // (N, C)
        Pool2dKernels.GlobalAvgForward(n * c, plane, x.AsSpan(), y.AsSpan());
        Tensor.Record("GlobalAvgPool2d", y, [x], g => Pool2dKernels.GlobalAvgBackward(n * c, plane, g.AsSpan(), x.GradSpan()));
        return y;
    }
}
