using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// The dot product of one Q8_0 or Q4_0 weight row (ggml blocks, scales pre-converted to float) with a row of
/// <see cref="BlockActivations"/>. Each block's integer products are summed in eight lanes of four values
/// (lane L covers values 4L..4L+3: AVX2's maddubs + madd), converted to float and fused-multiply-added with the
/// block's scale product into eight float lanes (even and odd blocks apart), which are added in a fixed order at
/// the end. The scalar path does exactly these operations, so every path gives the same bits. Q4_0 stores
/// q + 8 in [0, 15]: the kernel multiplies the unsigned nibbles and subtracts 8·Σ d·Σa afterwards (summed over even and odd blocks apart).
/// </summary>
internal static unsafe class BlockDot
{
    private const int Lanes = 8;

    /// <summary><paramref name="wm"/>: Q4_K's per-sub-block offsets (dmin·m); unused by Q8_0 and Q4_0.</summary>
    public static float Row(BlockFormat format, int blocks, byte* w, float* ws, float* wm, sbyte* a, float* sa, int* asum, QuantSimd simd)
    {
        if (format == BlockFormat.Q4_K)
            return simd == QuantSimd.Scalar ? Q4KDot.RowScalar(blocks, w, ws, wm, a, sa, asum) : Q4KDot.RowV256(blocks, w, ws, wm, a, sa, asum);
        if (simd == QuantSimd.Scalar) return RowScalar(format, blocks, w, ws, a, sa, asum);
        return format == BlockFormat.Q8_0 ? RowQ8V256(blocks, w, ws, a, sa) : RowQ4V256(blocks, w, ws, a, sa, asum);
    }

    private static float RowQ8V256(int blocks, byte* w, float* ws, sbyte* a, float* sa)
    {
        const int wb = 2 + BlockQuant.BlockSize;
        var ones = Vector256.Create((short)1);
        Vector256<float> acc0 = default, acc1 = default;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            acc0 = Vector256.FusedMultiplyAdd(Q8Lanes(w + b * wb + 2, a + b * 32, ones), Vector256.Create(ws[b] * sa[b]), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Q8Lanes(w + (b + 1) * wb + 2, a + (b + 1) * 32, ones), Vector256.Create(ws[b + 1] * sa[b + 1]), acc1);
        }
        if (b < blocks)
            acc0 = Vector256.FusedMultiplyAdd(Q8Lanes(w + b * wb + 2, a + b * 32, ones), Vector256.Create(ws[b] * sa[b]), acc0);
        return SumLanes(acc0 + acc1);
    }

    private static float RowQ4V256(int blocks, byte* w, float* ws, sbyte* a, float* sa, int* asum)
    {
        const int wb = 2 + BlockQuant.BlockSize / 2;
        var ones = Vector256.Create((short)1);
        Vector256<float> acc0 = default, acc1 = default;
        // Two correction chains (even and odd blocks), like the vector accumulators: one chain of dependent scalar
        // FMAs, 4 cycles each, was the critical path of a block.
        float correction0 = 0f, correction1 = 0f;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            float d0 = ws[b] * sa[b], d1 = ws[b + 1] * sa[b + 1];
            acc0 = Vector256.FusedMultiplyAdd(Q4Lanes(w + b * wb + 2, a + b * 32, ones), Vector256.Create(d0), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Q4Lanes(w + (b + 1) * wb + 2, a + (b + 1) * 32, ones), Vector256.Create(d1), acc1);
            correction0 = MathF.FusedMultiplyAdd(d0, asum[b], correction0);
            correction1 = MathF.FusedMultiplyAdd(d1, asum[b + 1], correction1);
        }
        if (b < blocks)
        {
            float d0 = ws[b] * sa[b];
            acc0 = Vector256.FusedMultiplyAdd(Q4Lanes(w + b * wb + 2, a + b * 32, ones), Vector256.Create(d0), acc0);
            correction0 = MathF.FusedMultiplyAdd(d0, asum[b], correction0);
        }
        return SumLanes(acc0 + acc1) - 8f * (correction0 + correction1);
    }

    // Signed × signed through maddubs (unsigned × signed): |w| times a with w's sign; pair sums stay below 2¹⁵.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8Lanes(byte* w, sbyte* a, Vector256<short> ones)
    {
        var wv = Vector256.Load((sbyte*)w);
        var av = Vector256.Load(a);
        return Vector256.ConvertToSingle(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(wv), Avx2.Sign(av, wv)), ones));
    }

    // Low nibbles are values 0..15 and high nibbles 16..31, so [low | high] lines up with the 32 activations.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4Lanes(byte* w, sbyte* a, Vector256<short> ones)
    {
        var packed = Vector128.Load(w);
        var mask = Vector128.Create((byte)0x0F);
        var q = Vector256.Create(packed & mask, Vector128.ShiftRightLogical(packed, 4) & mask);
        return Vector256.ConvertToSingle(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, Vector256.Load(a)), ones));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumLanes(Vector256<float> v)
    {
        float s = v.GetElement(0);
        for (int i = 1; i < Lanes; i++) s += v.GetElement(i);
        return s;
    }

    private static float RowScalar(BlockFormat format, int blocks, byte* w, float* ws, sbyte* a, float* sa, int* asum)
    {
        int wb = BlockQuant.BlockBytes(format);
        float* acc = stackalloc float[2 * Lanes];
        new Span<float>(acc, 2 * Lanes).Clear();
        float* correction = stackalloc float[2];
        correction[0] = correction[1] = 0f;
        for (int b = 0; b < blocks; b++)
        {
            float d = ws[b] * sa[b];
            byte* q = w + (long)b * wb + 2;
            sbyte* ab = a + (long)b * BlockQuant.BlockSize;
            float* lanes = acc + (b & 1) * Lanes;
            for (int lane = 0; lane < Lanes; lane++)
            {
                int s = 0;
                for (int j = 4 * lane; j < 4 * lane + 4; j++)
                {
                    int wq = format == BlockFormat.Q8_0 ? (sbyte)q[j] : j < 16 ? q[j] & 0x0F : q[j - 16] >> 4;
                    s += wq * ab[j];
                }
                lanes[lane] = MathF.FusedMultiplyAdd(s, d, lanes[lane]);
            }
            if (format == BlockFormat.Q4_0) correction[b & 1] = MathF.FusedMultiplyAdd(d, asum[b], correction[b & 1]);
        }
        float sum = acc[0] + acc[Lanes];
        for (int i = 1; i < Lanes; i++) sum += acc[i] + acc[Lanes + i];
        return format == BlockFormat.Q4_0 ? sum - 8f * (correction[0] + correction[1]) : sum;
    }
}
