using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// The dot product of one Q8_0 weight row (ggml blocks, scales pre-converted to float) with a row of
/// <see cref="BlockActivations"/>, and the one-row entry to the Q4_0 (<see cref="Q4Dot"/>) and Q4_K (<see cref="Q4KDot"/>)
/// kernels. Each Q8_0 block's integer products are summed in eight lanes of four values (lane L covers values
/// 4L..4L+3: AVX2's maddubs + madd, or two Vector128 halves of four lanes), converted to float and fused-multiply-added with the block's scale product into
/// eight float lanes (even and odd blocks apart), which are added in a fixed order at the end. The scalar path does
/// exactly these operations, so every path gives the same bits.
/// </summary>
internal static unsafe class BlockDot
{
    private const int Lanes = 8;

    /// <summary><paramref name="wm"/>: Q4_K's per-sub-block offsets (dmin·m); unused by Q8_0 and Q4_0.</summary>
    public static float Row(BlockFormat format, int blocks, byte* w, float* ws, float* wm, sbyte* a, float* sa, int* asum, SimdLevel simd)
    {
        if (format == BlockFormat.Q4_K)
            return simd switch
            {
                >= SimdLevel.V256 => Q4KDot.RowV256(blocks, w, ws, wm, a, sa, asum),
                SimdLevel.V128 => Q4KDot.RowV128(blocks, w, ws, wm, a, sa, asum),
                _ => Q4KDot.RowScalar(blocks, w, ws, wm, a, sa, asum),
            };
        if (format == BlockFormat.Q4_0)
        {
            float y;
            Q4Dot.Rows(simd, 1, blocks, w, 0, ws, a, sa, null, &y);
            return y;
        }
        return simd switch
        {
            >= SimdLevel.V256 => RowQ8V256(blocks, w, ws, a, sa),
            SimdLevel.V128 => RowQ8V128(blocks, w, ws, a, sa),
            _ => RowScalar(blocks, w, ws, a, sa),
        };
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

    // Signed × signed through maddubs (unsigned × signed): |w| times a with w's sign; pair sums stay below 2¹⁵.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8Lanes(byte* w, sbyte* a, Vector256<short> ones)
    {
        var wv = Vector256.Load((sbyte*)w);
        var av = Vector256.Load(a);
        return Vector256.ConvertToSingle(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(wv), Avx2.Sign(av, wv)), ones));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumLanes(Vector256<float> v)
    {
        float s = v.GetElement(0);
        for (int i = 1; i < Lanes; i++) s += v.GetElement(i);
        return s;
    }

    // The eight lanes of Vector128 pair (low = lanes 0..3, high = 4..7), added in the same order as above.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SumLanes(Vector128<float> low, Vector128<float> high)
    {
        float s = low.GetElement(0);
        for (int i = 1; i < 4; i++) s += low.GetElement(i);
        for (int i = 0; i < 4; i++) s += high.GetElement(i);
        return s;
    }

    // The Vector256 loop in two halves: values 0..15 of a block go to the low lanes, 16..31 to the high ones.
    private static float RowQ8V128(int blocks, byte* w, float* ws, sbyte* a, float* sa)
    {
        const int wb = 2 + BlockQuant.BlockSize;
        Vector128<float> low0 = default, high0 = default, low1 = default, high1 = default;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            var d0 = Vector128.Create(ws[b] * sa[b]);
            var d1 = Vector128.Create(ws[b + 1] * sa[b + 1]);
            byte* w0 = w + b * wb + 2, w1 = w0 + wb;
            sbyte* a0 = a + b * 32, a1 = a0 + 32;
            low0 = Vector128.FusedMultiplyAdd(Q8Lanes(w0, a0), d0, low0);
            high0 = Vector128.FusedMultiplyAdd(Q8Lanes(w0 + 16, a0 + 16), d0, high0);
            low1 = Vector128.FusedMultiplyAdd(Q8Lanes(w1, a1), d1, low1);
            high1 = Vector128.FusedMultiplyAdd(Q8Lanes(w1 + 16, a1 + 16), d1, high1);
        }
        if (b < blocks)
        {
            var d0 = Vector128.Create(ws[b] * sa[b]);
            byte* w0 = w + b * wb + 2;
            sbyte* a0 = a + b * 32;
            low0 = Vector128.FusedMultiplyAdd(Q8Lanes(w0, a0), d0, low0);
            high0 = Vector128.FusedMultiplyAdd(Q8Lanes(w0 + 16, a0 + 16), d0, high0);
        }
        return SumLanes(low0 + low1, high0 + high1);
    }

    // Σ w·a over 16 values in four int32 lanes of four, as float (exact: |Σ| ≤ 4·127·127).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Q8Lanes(byte* w, sbyte* a) =>
        Vector128.ConvertToSingle(Int8Vector128.Dot4(Vector128.Load((sbyte*)w), Vector128.Load(a)));

    private static float RowScalar(int blocks, byte* w, float* ws, sbyte* a, float* sa)
    {
        const int wb = 2 + BlockQuant.BlockSize;
        float* acc = stackalloc float[2 * Lanes];
        new Span<float>(acc, 2 * Lanes).Clear();
        for (int b = 0; b < blocks; b++)
        {
            float d = ws[b] * sa[b];
            sbyte* q = (sbyte*)(w + (long)b * wb + 2);
            sbyte* ab = a + (long)b * BlockQuant.BlockSize;
            float* lanes = acc + (b & 1) * Lanes;
            for (int lane = 0; lane < Lanes; lane++)
            {
                int s = 0;
                for (int j = 4 * lane; j < 4 * lane + 4; j++) s += q[j] * ab[j];
                lanes[lane] = MathF.FusedMultiplyAdd(s, d, lanes[lane]);
            }
        }
        float sum = acc[0] + acc[Lanes];
        for (int i = 1; i < Lanes; i++) sum += acc[i] + acc[Lanes + i];
        return sum;
    }
}
