using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// The dot product of one Q4_K weight row with a row of Q8_0 <see cref="BlockActivations"/>: every 32-value
/// sub-block of the weights meets exactly one activation block, so Σ (S·q − M)·(s·a) = S·s·Σ q·a − M·s·Σ a per
/// sub-block, with S = d·sc and M = dmin·m pre-converted to float (exactly). The integer part is summed in eight
/// lanes of four values (AVX2 maddubs + madd on unsigned nibbles × signed activations) and fused-multiply-added
/// into float lanes, even sub-blocks (low nibbles) and odd ones (high nibbles) apart; the min terms are
/// accumulated in order and subtracted at the end. The scalar path does exactly these operations (same bits).
/// </summary>
internal static unsafe class Q4KDot
{
    private const int Lanes = 8, Sub = BlockQuant.BlockSize, Bytes = Q4KQuant.Bytes;

    /// <summary><paramref name="blocks"/>: 32-value sub-blocks in the row (a multiple of 8).</summary>
    public static float RowV256(int blocks, byte* w, float* ws, float* wm, sbyte* a, float* sa, int* asum)
    {
        var ones = Vector256.Create((short)1);
        var mask = Vector256.Create((byte)0x0F);
        Vector256<float> acc0 = default, acc1 = default;
        float correction = 0f;
        for (int s = 0; s < blocks / Q4KQuant.SubBlocks; s++)
        {
            byte* qs = w + (long)s * Bytes + Q4KQuant.QsOffset;
            for (int g = 0; g < Q4KQuant.SubBlocks / 2; g++)
            {
                int b = s * Q4KQuant.SubBlocks + 2 * g;
                var packed = Vector256.Load(qs + g * Sub);
                var low = packed & mask;
                var high = Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask;
                acc0 = Vector256.FusedMultiplyAdd(Lanes4(low, a + (long)b * Sub, ones), Vector256.Create(ws[b] * sa[b]), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Lanes4(high, a + (long)(b + 1) * Sub, ones), Vector256.Create(ws[b + 1] * sa[b + 1]), acc1);
                correction = MathF.FusedMultiplyAdd(wm[b] * sa[b], asum[b], correction);
                correction = MathF.FusedMultiplyAdd(wm[b + 1] * sa[b + 1], asum[b + 1], correction);
            }
        }
        return BlockDot.SumLanes(acc0 + acc1) - correction;
    }

    /// <summary>The Vector256 loop in two halves: values 0..15 of each sub-block in the low lanes, 16..31 in the high ones.</summary>
    public static float RowV128(int blocks, byte* w, float* ws, float* wm, sbyte* a, float* sa, int* asum)
    {
        var mask = Vector128.Create((byte)0x0F);
        Vector128<float> low0 = default, high0 = default, low1 = default, high1 = default;
        float correction = 0f;
        for (int s = 0; s < blocks / Q4KQuant.SubBlocks; s++)
        {
            byte* qs = w + (long)s * Bytes + Q4KQuant.QsOffset;
            for (int g = 0; g < Q4KQuant.SubBlocks / 2; g++)
            {
                int b = s * Q4KQuant.SubBlocks + 2 * g;
                var p0 = Vector128.Load(qs + g * Sub);
                var p1 = Vector128.Load(qs + g * Sub + 16);
                var d0 = Vector128.Create(ws[b] * sa[b]);
                var d1 = Vector128.Create(ws[b + 1] * sa[b + 1]);
                sbyte* a0 = a + (long)b * Sub, a1 = a0 + Sub;
                low0 = Vector128.FusedMultiplyAdd(Lanes4(p0 & mask, a0), d0, low0);
                high0 = Vector128.FusedMultiplyAdd(Lanes4(p1 & mask, a0 + 16), d0, high0);
                low1 = Vector128.FusedMultiplyAdd(Lanes4(Vector128.ShiftRightLogical(p0, 4) & mask, a1), d1, low1);
                high1 = Vector128.FusedMultiplyAdd(Lanes4(Vector128.ShiftRightLogical(p1, 4) & mask, a1 + 16), d1, high1);
                correction = MathF.FusedMultiplyAdd(wm[b] * sa[b], asum[b], correction);
                correction = MathF.FusedMultiplyAdd(wm[b + 1] * sa[b + 1], asum[b + 1], correction);
            }
        }
        return BlockDot.SumLanes(low0 + low1, high0 + high1) - correction;
    }

    // Nibbles (0..15) fit a signed byte, so the exact int8 dot serves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Lanes4(Vector128<byte> q, sbyte* a) =>
        Vector128.ConvertToSingle(Int8Vector128.Dot4(q.AsSByte(), Vector128.Load(a)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lanes4(Vector256<byte> q, sbyte* a, Vector256<short> ones) =>
        Vector256.ConvertToSingle(Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, Vector256.Load(a)), ones));

    public static float RowScalar(int blocks, byte* w, float* ws, float* wm, sbyte* a, float* sa, int* asum)
    {
        float* acc = stackalloc float[2 * Lanes];
        new Span<float>(acc, 2 * Lanes).Clear();
        float correction = 0f;
        for (int b = 0; b < blocks; b++)
        {
            int s = b / Q4KQuant.SubBlocks, j = b % Q4KQuant.SubBlocks;
            byte* q = w + (long)s * Bytes + Q4KQuant.QsOffset + (j >> 1) * Sub;
            int shift = (j & 1) * 4;
            float d = ws[b] * sa[b];
            sbyte* ab = a + (long)b * Sub;
            float* lanes = acc + (b & 1) * Lanes;
            for (int lane = 0; lane < Lanes; lane++)
            {
                int sum = 0;
                for (int i = 4 * lane; i < 4 * lane + 4; i++) sum += ((q[i] >> shift) & 0x0F) * ab[i];
                lanes[lane] = MathF.FusedMultiplyAdd(sum, d, lanes[lane]);
            }
            correction = MathF.FusedMultiplyAdd(wm[b] * sa[b], asum[b], correction);
        }
        float total = acc[0] + acc[Lanes];
        for (int i = 1; i < Lanes; i++) total += acc[i] + acc[Lanes + i];
        return total - correction;
    }
}
