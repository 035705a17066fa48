using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Activations quantized to Q8_0 (32-value blocks, scale = max|x|/127 rounded to f16, as llama.cpp's q8_0 dot
/// type) for up to <see cref="Capacity"/> values, stored as separate arrays so the block dot kernels load them
/// with plain vector loads: int8 values, one float scale and one int sum (Σq, used by Q4_K's min term) per
/// block. Buffers are pinned and reused, so quantizing a decode step allocates nothing.
/// </summary>
public sealed unsafe class BlockActivations
{
    private sbyte[] _values = [];
    private float[] _scales = [];
    private int[] _sums = [];

    /// <summary>Rows held (tokens).</summary>
    public int Rows { get; private set; }
    /// <summary>Values per row (a multiple of 32).</summary>
    public int Cols { get; private set; }
    /// <summary>Values the buffers can hold without growing.</summary>
    public int Capacity => _values.Length;

    // The arrays are pinned for life, so these pointers stay valid until the next growth.
    internal sbyte* Values(int row)
    {
        fixed (sbyte* p = _values) return p + (long)row * Cols;
    }

    internal float* Scales(int row)
    {
        fixed (float* p = _scales) return p + (long)row * (Cols / BlockQuant.BlockSize);
    }

    internal int* Sums(int row)
    {
        fixed (int* p = _sums) return p + (long)row * (Cols / BlockQuant.BlockSize);
    }

    /// <summary>Quantizes x (m, cols) row by row; cols must be a multiple of 32 and every value finite.</summary>
    public void Quantize(int m, ReadOnlySpan<float> x, int cols) => Quantize(m, x, cols, Simd.Level);

    internal void Quantize(int m, ReadOnlySpan<float> x, int cols, SimdLevel simd)
    {
        if (m < 0 || cols < 0 || cols % BlockQuant.BlockSize != 0 || x.Length < (long)m * cols)
            throw new ArgumentException($"BlockActivations.Quantize: {x.Length} values for ({m}, {cols}); cols must be a multiple of {BlockQuant.BlockSize}.");
        long count = (long)m * cols;
        if (count > _values.Length)
        {
            _values = GC.AllocateArray<sbyte>((int)count, pinned: true);
            _scales = GC.AllocateArray<float>((int)(count / BlockQuant.BlockSize), pinned: true);
            _sums = GC.AllocateArray<int>((int)(count / BlockQuant.BlockSize), pinned: true);
        }
        Rows = m;
        Cols = cols;
        if (count == 0) return;
        simd = BlockQuant.BlockLevel(simd);
        int blocks = (int)(count / BlockQuant.BlockSize);
        fixed (float* px = x)
        fixed (sbyte* pq = _values)
        fixed (float* ps = _scales)
        fixed (int* pn = _sums)
            for (int b = 0; b < blocks; b++)
            {
                float* xb = px + (long)b * BlockQuant.BlockSize;
                // NaN or ±∞ anywhere in the block makes the largest magnitude non-finite.
                float amax = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(xb, BlockQuant.BlockSize)));
                if (!float.IsFinite(amax))
                    throw new ArgumentException($"BlockActivations.Quantize: block {b} (values {b * BlockQuant.BlockSize}..{b * BlockQuant.BlockSize + 31}) holds {amax}; only finite activations can be quantized.");
                float d = amax / 127f;
                float id = d != 0f ? 1f / d : 0f;
                ps[b] = (float)(Half)d;
                sbyte* q = pq + (long)b * BlockQuant.BlockSize;
                pn[b] = simd switch
                {
                    SimdLevel.V256 => QuantizeV256(xb, id, q),
                    SimdLevel.V128 => QuantizeV128(xb, id, q),
                    _ => QuantizeScalar(xb, id, q),
                };
            }
    }

    // Every path rounds half to even (vroundps' default mode, frintn, MathF.Round's default), so all give the same bytes.
    private static int QuantizeScalar(float* x, float id, sbyte* q)
    {
        int sum = 0;
        for (int j = 0; j < BlockQuant.BlockSize; j++)
        {
            int v = (int)MathF.Round(x[j] * id);
            q[j] = (sbyte)v;
            sum += v;
        }
        return sum;
    }

    private static int QuantizeV256(float* x, float id, sbyte* q)
    {
        var scale = Vector256.Create(id);
        var q0 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x) * scale));
        var q1 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x + 8) * scale));
        var q2 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x + 16) * scale));
        var q3 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x + 24) * scale));
        Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)).Store(q);
        return Vector256.Sum(q0 + q1 + q2 + q3);
    }

    private static int QuantizeV128(float* x, float id, sbyte* q)
    {
        var scale = Vector128.Create(id);
        var sum = Vector128<int>.Zero;
        for (int h = 0; h < BlockQuant.BlockSize; h += 16)
        {
            var q0 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + h) * scale));
            var q1 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + h + 4) * scale));
            var q2 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + h + 8) * scale));
            var q3 = Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(x + h + 12) * scale));
            Vector128.Narrow(Vector128.Narrow(q0, q1), Vector128.Narrow(q2, q3)).Store(q + h);
            sum += (q0 + q1) + (q2 + q3);
        }
        return Vector128.Sum(sum);
    }
}
