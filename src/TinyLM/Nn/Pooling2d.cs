using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>Max pooling over NCHW images (PyTorch's MaxPool2d, floor mode); the stride defaults to the window.</summary>
public sealed class MaxPool2d(int kernelSize, int stride = 0, int padding = 0) : Module, ILayer
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride == 0 ? kernelSize : stride;
    public int Padding { get; } = padding;

    /// <summary>(N, C, H, W) → (N, C, H_out, W_out).</summary>
    public Tensor Forward(Tensor input) => Apply(input, Pool2d.ShapeOf(input, KernelSize, Stride, Padding, "MaxPool2d"));

    /// <summary>Max pooling as an op; the gradient goes to the (first) position holding each window's maximum.</summary>
    public static Tensor Apply(Tensor input, Pool2dShape shape)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x;
        using (Tensor.NoGrad()) x = input.Contiguous();
        int n = x.Dim(0);
        var y = Tensor.Empty(n, shape.Channels, shape.OutHeight, shape.OutWidth); // (N, C, H_out, W_out)
        var argmax = new int[y.Length];
        Pool2dKernels.MaxForward(shape, n, x.AsSpan(), y.AsSpan(), argmax);
        Tensor.Record("MaxPool2d", y, [x], g => Pool2dKernels.MaxBackward(g.AsSpan(), argmax, x.GradSpan()));
        return y;
    }
}

/// <summary>Average pooling over NCHW images (PyTorch's AvgPool2d: floor mode, padding counted in the divisor).</summary>
public sealed class AvgPool2d(int kernelSize, int stride = 0, int padding = 0) : Module, ILayer
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride == 0 ? kernelSize : stride;
    public int Padding { get; } = padding;

    /// <summary>(N, C, H, W) → (N, C, H_out, W_out).</summary>
    public Tensor Forward(Tensor input) => Apply(input, Pool2d.ShapeOf(input, KernelSize, Stride, Padding, "AvgPool2d"));

    /// <summary>Average pooling as an op.</summary>
    public static Tensor Apply(Tensor input, Pool2dShape shape)
    {
        ArgumentNullException.ThrowIfNull(input);
        Tensor x;
        using (Tensor.NoGrad()) x = input.Contiguous();
        int n = x.Dim(0);
        var y = Tensor.Empty(n, shape.Channels, shape.OutHeight, shape.OutWidth); // (N, C, H_out, W_out)
        Pool2dKernels.AvgForward(shape, n, x.AsSpan(), y.AsSpan());
        Tensor.Record("AvgPool2d", y, [x], g => Pool2dKernels.AvgBackward(shape, n, g.AsSpan(), x.GradSpan()));
        return y;
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

internal static class Pool2d
{
    public static Pool2dShape ShapeOf(Tensor input, int kernel, int stride, int padding, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"{op}: input must be (N, C, H, W), got ({string.Join(", ", input.Shape)}).");
        var shape = new Pool2dShape(input.Dim(1), input.Dim(2), input.Dim(3), kernel, kernel, stride, stride, padding, padding);
        shape.Validate();
        return shape;
    }
}
