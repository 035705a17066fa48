using System.Runtime.InteropServices;

namespace TinyLM.Kernels;

/// <summary>Geometry of one 2-D convolution over NCHW tensors; the weight is [OutChannels, InChannels/Groups, KernelH, KernelW].</summary>
public readonly record struct Conv2dShape(int InChannels, int OutChannels, int Height, int Width, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public int OutHeight => (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutWidth => (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    /// <summary>Rows of one group's im2col matrix: (InChannels/Groups)·KernelH·KernelW.</summary>
    public int PatchSize => InChannels / Groups * KernelH * KernelW;
    public int WeightLength => OutChannels * PatchSize;

    /// <summary>Throws with the offending value when the geometry is not a valid convolution.</summary>
    public void Validate()
    {
        if (InChannels <= 0 || OutChannels <= 0 || Height <= 0 || Width <= 0 || KernelH <= 0 || KernelW <= 0)
            throw new ArgumentException($"Conv2d sizes must be positive: {this}");
        if (StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"Conv2d stride and dilation must be positive and padding non-negative: {this}");
        if (Groups <= 0 || InChannels % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentException($"Conv2d groups ({Groups}) must divide in ({InChannels}) and out ({OutChannels}) channels");
        if (OutHeight <= 0 || OutWidth <= 0)
            throw new ArgumentException($"Conv2d kernel larger than the padded input: {this}");
    }
}

/// <summary>
/// Conv2d forward and backward as im2col plus the shared <see cref="Gemm"/>: per image and group,
/// out[Cout/g × HW'] = W[Cout/g × K] · col[K × HW'], dW += dOut · colᵀ, dCol = Wᵀ · dOut folded back by col2im.
/// </summary>
public static unsafe class Conv2dKernels
{
    /// <summary>Unfolds one group of one image (channels [c0, c0 + Cin/g)) into col[K × OutH·OutW]; padding reads zero.</summary>
    public static void Im2Col(in Conv2dShape s, ReadOnlySpan<float> image, int c0, Span<float> col) =>
        Walk(s, MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(image), image.Length), c0, col, gather: true);

    /// <summary>Adjoint of <see cref="Im2Col"/>: adds col back into the image gradient.</summary>
    public static void Col2ImAdd(in Conv2dShape s, ReadOnlySpan<float> col, int c0, Span<float> image) =>
        Walk(s, image, c0, MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(col), col.Length), gather: false);

    // One walk over (channel, ky, kx, y, x) for both directions: gather writes col only, scatter writes image only.
    private static void Walk(in Conv2dShape s, Span<float> image, int c0, Span<float> col, bool gather)
    {
        int oh = s.OutHeight, ow = s.OutWidth, cg = s.InChannels / s.Groups, row = 0;
        for (int c = 0; c < cg; c++)
        {
            var plane = image.Slice((c0 + c) * s.Height * s.Width, s.Height * s.Width);
            for (int ky = 0; ky < s.KernelH; ky++)
                for (int kx = 0; kx < s.KernelW; kx++, row++)
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * s.StrideH - s.PadH + ky * s.DilationH;
                        var line = col.Slice((row * oh + y) * ow, ow);
                        if ((uint)iy >= (uint)s.Height)
                        {
                            if (gather) line.Clear();
                            continue;
                        }
                        for (int x = 0; x < ow; x++)
                        {
                            int ix = x * s.StrideW - s.PadW + kx * s.DilationW;
                            bool inside = (uint)ix < (uint)s.Width;
                            if (gather) line[x] = inside ? plane[iy * s.Width + ix] : 0f;
                            else if (inside) plane[iy * s.Width + ix] += line[x];
                        }
                    }
        }
    }

    /// <summary>output[N, Cout, OutH, OutW] = conv(input[N, Cin, H, W], weight) + bias (bias may be empty).</summary>
    public static void Forward(in Conv2dShape s, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => Forward(s, batch, input, weight, bias, output, GemmOptions.Default);

    internal static void Forward(in Conv2dShape s, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, GemmOptions options)
    {
        s.Validate();
        int hw = s.OutHeight * s.OutWidth, k = s.PatchSize, og = s.OutChannels / s.Groups;
        CheckLengths(s, batch, input.Length, weight.Length, output.Length);
        if (!bias.IsEmpty && bias.Length != s.OutChannels)
            throw new ArgumentException($"Conv2d bias has {bias.Length} values, expected {s.OutChannels}");
        var col = new float[k * hw];
        fixed (float* pw = weight)
        fixed (float* pc = col)
        fixed (float* po = output)
            for (int n = 0; n < batch; n++)
            {
                var image = input.Slice(n * s.InChannels * s.Height * s.Width, s.InChannels * s.Height * s.Width);
                for (int g = 0; g < s.Groups; g++)
                {
                    Im2Col(s, image, g * (s.InChannels / s.Groups), col);
                    float* dst = po + ((long)n * s.OutChannels + g * og) * hw;
                    Gemm.Multiply(false, false, og, hw, k, 1f, pw + (long)g * og * k, k, pc, hw, 0f, dst, hw, options);
                }
                if (!bias.IsEmpty)
                    for (int o = 0; o < s.OutChannels; o++)
                        foreach (ref float v in output.Slice((n * s.OutChannels + o) * hw, hw)) v += bias[o];
            }
    }

    /// <summary>
    /// Gradients of <see cref="Forward(in Conv2dShape,int,ReadOnlySpan{float},ReadOnlySpan{float},ReadOnlySpan{float},Span{float})"/>:
    /// adds into inputGrad (may be empty to skip), weightGrad and biasGrad (may be empty).
    /// </summary>
    public static void Backward(in Conv2dShape s, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> outputGrad, Span<float> inputGrad, Span<float> weightGrad, Span<float> biasGrad)
        => Backward(s, batch, input, weight, outputGrad, inputGrad, weightGrad, biasGrad, GemmOptions.Default);

    internal static void Backward(in Conv2dShape s, int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> outputGrad, Span<float> inputGrad, Span<float> weightGrad, Span<float> biasGrad, GemmOptions options)
    {
        s.Validate();
        int hw = s.OutHeight * s.OutWidth, k = s.PatchSize, og = s.OutChannels / s.Groups;
        CheckLengths(s, batch, input.Length, weight.Length, outputGrad.Length);
        if (weightGrad.Length != weight.Length) throw new ArgumentException("Conv2d weight gradient length differs from the weight's");
        if (!inputGrad.IsEmpty && inputGrad.Length != input.Length) throw new ArgumentException("Conv2d input gradient length differs from the input's");
        var col = new float[k * hw];
        fixed (float* pw = weight)
        fixed (float* pgw = weightGrad)
        fixed (float* pc = col)
        fixed (float* pgo = outputGrad)
            for (int n = 0; n < batch; n++)
            {
                int imageLength = s.InChannels * s.Height * s.Width;
                var image = input.Slice(n * imageLength, imageLength);
                for (int g = 0; g < s.Groups; g++)
                {
                    int c0 = g * (s.InChannels / s.Groups);
                    float* dOut = pgo + ((long)n * s.OutChannels + g * og) * hw;
                    Im2Col(s, image, c0, col);
                    Gemm.Multiply(false, true, og, k, hw, 1f, dOut, hw, pc, hw, 1f, pgw + (long)g * og * k, k, options);
                    if (inputGrad.IsEmpty) continue;
                    Gemm.Multiply(true, false, k, hw, og, 1f, pw + (long)g * og * k, k, dOut, hw, 0f, pc, hw, options);
                    Col2ImAdd(s, col, c0, inputGrad.Slice(n * imageLength, imageLength));
                }
                if (!biasGrad.IsEmpty)
                    for (int o = 0; o < s.OutChannels; o++)
                    {
                        float sum = 0;
                        foreach (float v in outputGrad.Slice((n * s.OutChannels + o) * hw, hw)) sum += v;
                        biasGrad[o] += sum;
                    }
            }
    }

    private static void CheckLengths(in Conv2dShape s, int batch, int input, int weight, int output)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        long expectIn = (long)batch * s.InChannels * s.Height * s.Width;
        long expectOut = (long)batch * s.OutChannels * s.OutHeight * s.OutWidth;
        if (input != expectIn) throw new ArgumentException($"Conv2d input has {input} values, expected {expectIn} for batch {batch} of {s}");
        if (weight != s.WeightLength) throw new ArgumentException($"Conv2d weight has {weight} values, expected {s.WeightLength}");
        if (output != expectOut) throw new ArgumentException($"Conv2d output has {output} values, expected {expectOut}");
    }
}
