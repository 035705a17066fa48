namespace TinyLM.Kernels;

/// <summary>Geometry of one 2-D pooling window over NCHW tensors (PyTorch's MaxPool2d/AvgPool2d without ceil mode).</summary>
public readonly record struct Pool2dShape(int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH = 0, int PadW = 0)
{
    public int OutHeight => (Height + 2 * PadH - KernelH) / StrideH + 1;
    public int OutWidth => (Width + 2 * PadW - KernelW) / StrideW + 1;

    /// <summary>Throws with the offending value when the geometry is not a valid pooling.</summary>
    public void Validate()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0 || KernelH <= 0 || KernelW <= 0 || StrideH <= 0 || StrideW <= 0)
            throw new ArgumentException($"Pool2d sizes and strides must be positive: {this}");
        // As PyTorch: padding at most half the window, so every window holds at least one real pixel.
        if (PadH < 0 || PadW < 0 || 2 * PadH > KernelH || 2 * PadW > KernelW)
            throw new ArgumentException($"Pool2d padding must be in [0, kernel/2]: {this}");
        if (OutHeight <= 0 || OutWidth <= 0)
            throw new ArgumentException($"Pool2d window larger than the padded input: {this}");
    }
}

/// <summary>
/// Max and average pooling over NCHW planes, and global average pooling (N, C, H, W) → (N, C). Plain loops: pooling
/// reads each input a few times and does no arithmetic worth vectorising next to the convolutions around it.
/// </summary>
public static class Pool2dKernels
{
    /// <summary>
    /// output[N, C, OutH, OutW] = window maximum; <paramref name="argmax"/> (same length as output) receives the flat
    /// input index of each maximum (the first one in row-major window order on ties). Padding never wins.
    /// </summary>
    public static void MaxForward(in Pool2dShape s, int batch, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax)
    {
        s.Validate();
        Check(s, batch, input.Length, output.Length);
        if (argmax.Length != output.Length) throw new ArgumentException($"MaxPool2d argmax has {argmax.Length} slots, expected {output.Length}");
        int oh = s.OutHeight, ow = s.OutWidth, plane = s.Height * s.Width;
        for (int p = 0; p < batch * s.Channels; p++)
        {
            int baseIn = p * plane, baseOut = p * oh * ow;
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    float best = float.NegativeInfinity;
                    int at = -1;
                    for (int ky = 0; ky < s.KernelH; ky++)
                    {
                        int iy = y * s.StrideH - s.PadH + ky;
                        if ((uint)iy >= (uint)s.Height) continue;
                        for (int kx = 0; kx < s.KernelW; kx++)
                        {
                            int ix = x * s.StrideW - s.PadW + kx;
                            if ((uint)ix >= (uint)s.Width) continue;
                            float v = input[baseIn + iy * s.Width + ix];
                            // NaN propagates (as PyTorch): a NaN input wins its window.
                            if (at < 0 || v > best || float.IsNaN(v)) { best = v; at = baseIn + iy * s.Width + ix; if (float.IsNaN(v)) goto done; }
                        }
                    }
                done:
                    output[baseOut + y * ow + x] = best;
                    argmax[baseOut + y * ow + x] = at;
                }
        }
    }

    /// <summary>Adds each output gradient to the input position that held the window's maximum.</summary>
    public static void MaxBackward(ReadOnlySpan<float> outputGrad, ReadOnlySpan<int> argmax, Span<float> inputGrad)
    {
        if (argmax.Length != outputGrad.Length) throw new ArgumentException($"MaxPool2d argmax has {argmax.Length} slots for {outputGrad.Length} gradients");
        for (int i = 0; i < outputGrad.Length; i++) inputGrad[argmax[i]] += outputGrad[i];
    }

    /// <summary>output = window mean; the divisor is KernelH·KernelW, padding counted as zeros (PyTorch's default).</summary>
    public static void AvgForward(in Pool2dShape s, int batch, ReadOnlySpan<float> input, Span<float> output)
    {
        s.Validate();
        Check(s, batch, input.Length, output.Length);
        int oh = s.OutHeight, ow = s.OutWidth, plane = s.Height * s.Width;
        float inv = 1f / (s.KernelH * s.KernelW);
        for (int p = 0; p < batch * s.Channels; p++)
        {
            var src = input.Slice(p * plane, plane);
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    float sum = 0;
                    for (int ky = 0; ky < s.KernelH; ky++)
                    {
                        int iy = y * s.StrideH - s.PadH + ky;
                        if ((uint)iy >= (uint)s.Height) continue;
                        for (int kx = 0; kx < s.KernelW; kx++)
                        {
                            int ix = x * s.StrideW - s.PadW + kx;
                            if ((uint)ix < (uint)s.Width) sum += src[iy * s.Width + ix];
                        }
                    }
                    output[p * oh * ow + y * ow + x] = sum * inv;
                }
        }
    }

    /// <summary>Adjoint of <see cref="AvgForward"/>: adds each output gradient / (KernelH·KernelW) to its window.</summary>
    public static void AvgBackward(in Pool2dShape s, int batch, ReadOnlySpan<float> outputGrad, Span<float> inputGrad)
    {
        s.Validate();
        Check(s, batch, inputGrad.Length, outputGrad.Length);
        int oh = s.OutHeight, ow = s.OutWidth, plane = s.Height * s.Width;
        float inv = 1f / (s.KernelH * s.KernelW);
        for (int p = 0; p < batch * s.Channels; p++)
        {
            var dst = inputGrad.Slice(p * plane, plane);
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    float g = outputGrad[p * oh * ow + y * ow + x] * inv;
                    for (int ky = 0; ky < s.KernelH; ky++)
                    {
                        int iy = y * s.StrideH - s.PadH + ky;
                        if ((uint)iy >= (uint)s.Height) continue;
                        for (int kx = 0; kx < s.KernelW; kx++)
                        {
                            int ix = x * s.StrideW - s.PadW + kx;
                            if ((uint)ix < (uint)s.Width) dst[iy * s.Width + ix] += g;
                        }
                    }
                }
        }
    }

    /// <summary>output[p] = mean of plane p of <paramref name="planeSize"/> values (p over N·C planes).</summary>
    public static void GlobalAvgForward(int planes, int planeSize, ReadOnlySpan<float> input, Span<float> output)
    {
        if (planes < 0 || planeSize <= 0 || input.Length != (long)planes * planeSize || output.Length != planes)
            throw new ArgumentException($"GlobalAvgPool: {input.Length} inputs and {output.Length} outputs for {planes} planes of {planeSize}");
        for (int p = 0; p < planes; p++)
            output[p] = System.Numerics.Tensors.TensorPrimitives.Sum(input.Slice(p * planeSize, planeSize)) / planeSize;
    }

    /// <summary>Adjoint of <see cref="GlobalAvgForward"/>: adds outputGrad[p] / planeSize to every value of plane p.</summary>
    public static void GlobalAvgBackward(int planes, int planeSize, ReadOnlySpan<float> outputGrad, Span<float> inputGrad)
    {
        if (planes < 0 || planeSize <= 0 || inputGrad.Length != (long)planes * planeSize || outputGrad.Length != planes)
            throw new ArgumentException($"GlobalAvgPool: {inputGrad.Length} input gradients and {outputGrad.Length} output gradients for {planes} planes of {planeSize}");
        for (int p = 0; p < planes; p++)
        {
            var plane = inputGrad.Slice(p * planeSize, planeSize);
            System.Numerics.Tensors.TensorPrimitives.Add(plane, outputGrad[p] / planeSize, plane);
        }
    }

    private static void Check(in Pool2dShape s, int batch, int input, int output)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        long expectIn = (long)batch * s.Channels * s.Height * s.Width;
        long expectOut = (long)batch * s.Channels * s.OutHeight * s.OutWidth;
        if (input != expectIn) throw new ArgumentException($"Pool2d input has {input} values, expected {expectIn} for batch {batch} of {s}");
        if (output != expectOut) throw new ArgumentException($"Pool2d output has {output} values, expected {expectOut}");
    }
}
