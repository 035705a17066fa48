using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TinyLM.Kernels;

/// <summary>
/// Q4_0 weight rows (ggml blocks: f16 scale, 16 bytes of nibbles q + 8) times one row of Q8_0
/// <see cref="BlockActivations"/>. Each block's integer products Σ (q − 8)·a are summed exactly in eight int32 lanes of
/// four values (lane L covers values 4L..4L+3), converted to float and fused-multiply-added with the block's scale product
/// ws·sa into one float accumulator of eight lanes per row, blocks in order; a row's lanes are then added as
/// ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)). The scalar path performs exactly these operations, so every path gives the same
/// bits.
/// <para>The AVX2 kernel runs four rows at once: they share the activation loads, the −8 offset (8·(a₂ᵢ+a₂ᵢ₊₁), computed
/// once per block for the four rows, subtracted from the unsigned maddubs pair sums, which stay within int16) and one
/// horizontal-add tree that reduces the four accumulators together. With 9 blocks per 288-wide row (the llama2.c 15M
/// shape), per-row work — a lane-by-lane sum and a scalar correction chain in the former one-row kernel — was a third of
/// the dot.</para>
/// </summary>
internal static unsafe class Q4Dot
{
    private const int Lanes = 8, Block = BlockQuant.BlockSize, BlockBytes = 2 + Block / 2;

    /// <summary>
    /// y[r] = row r of w · a (+ bias[r]) for r in [0, rows); row r's blocks start at w + r·rowBytes, its float scales at
    /// ws + r·blocks. <paramref name="bias"/> may be null.
    /// </summary>
    public static void Rows(SimdLevel simd, int rows, int blocks, byte* w, int rowBytes, float* ws, sbyte* a, float* sa, float* bias, float* y)
    {
        if (simd >= SimdLevel.V256)
        {
            RowsV256(rows, blocks, w, rowBytes, ws, a, sa, bias, y);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            byte* wr = w + (long)r * rowBytes;
            float* sr = ws + (long)r * blocks;
            float value = simd == SimdLevel.V128 ? RowV128(blocks, wr, sr, a, sa) : RowScalar(blocks, wr, sr, a, sa);
            y[r] = bias == null ? value : value + bias[r];
        }
    }

    public static float RowScalar(int blocks, byte* w, float* ws, sbyte* a, float* sa)
    {
        float* acc = stackalloc float[Lanes];
        new Span<float>(acc, Lanes).Clear();
        for (int b = 0; b < blocks; b++)
        {
            float d = ws[b] * sa[b];
            byte* q = w + (long)b * BlockBytes + 2;
            sbyte* ab = a + (long)b * Block;
            for (int lane = 0; lane < Lanes; lane++)
            {
                int s = 0;
                for (int j = 4 * lane; j < 4 * lane + 4; j++)
                    s += ((j < 16 ? q[j] & 0x0F : q[j - 16] >> 4) - 8) * ab[j];
                acc[lane] = MathF.FusedMultiplyAdd(s, d, acc[lane]);
            }
        }
        return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    }

    // One row in two Vector128 halves (values 0..15 from the low nibbles, 16..31 from the high ones), (q − 8) taken as a
    // signed byte so one exact int8 dot serves both; lanes are added in the scalar path's order.
    private static float RowV128(int blocks, byte* w, float* ws, sbyte* a, float* sa)
    {
        var mask = Vector128.Create((byte)0x0F);
        var eights = Vector128.Create((sbyte)8);
        Vector128<float> low = default, high = default;
        for (int b = 0; b < blocks; b++)
        {
            var packed = Vector128.Load(w + (long)b * BlockBytes + 2);
            var d = Vector128.Create(ws[b] * sa[b]);
            sbyte* ab = a + (long)b * Block;
            var ql = (packed & mask).AsSByte() - eights;
            var qh = (Vector128.ShiftRightLogical(packed, 4) & mask).AsSByte() - eights;
            low = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(Int8Vector128.Dot4(ql, Vector128.Load(ab))), d, low);
            high = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(Int8Vector128.Dot4(qh, Vector128.Load(ab + 16))), d, high);
        }
        return ((low.GetElement(0) + low.GetElement(1)) + (low.GetElement(2) + low.GetElement(3)))
            + ((high.GetElement(0) + high.GetElement(1)) + (high.GetElement(2) + high.GetElement(3)));
    }

    private static void RowsV256(int rows, int blocks, byte* w, int rowBytes, float* ws, sbyte* a, float* sa, float* bias, float* y)
    {
        var ones = Vector256.Create((short)1);
        var eights = Vector256.Create((byte)8);
        var mask = Vector256.Create((byte)0x0F);
        // The 16 packed bytes sit in both halves; shifting the upper half's quadwords by 4 brings the high nibbles
        // (values 16..31) down, so [low | high] lines up with the 32 activations after the mask.
        var shifts = Vector256.Create(0UL, 0UL, 4UL, 4UL);
        for (int r = 0; r < rows; r += 4)
        {
            // A tail of fewer than four rows repeats its last row; only real rows are stored.
            int n = Math.Min(4, rows - r);
            byte* w0 = w + (long)r * rowBytes, w1 = w + (long)(r + Math.Min(1, n - 1)) * rowBytes;
            byte* w2 = w + (long)(r + Math.Min(2, n - 1)) * rowBytes, w3 = w + (long)(r + Math.Min(3, n - 1)) * rowBytes;
            float* s0 = ws + (long)r * blocks, s1 = ws + (long)(r + Math.Min(1, n - 1)) * blocks;
            float* s2 = ws + (long)(r + Math.Min(2, n - 1)) * blocks, s3 = ws + (long)(r + Math.Min(3, n - 1)) * blocks;
            Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            for (int b = 0; b < blocks; b++)
            {
                var av = Vector256.Load(a + (long)b * Block);
                var offset = Avx2.MultiplyAddAdjacent(eights, av);
                var sab = Vector256.Create(sa[b]);
                long o = (long)b * BlockBytes + 2;
                acc0 = Vector256.FusedMultiplyAdd(Lanes4(w0 + o, av, offset, mask, shifts, ones), Vector256.Create(s0[b]) * sab, acc0);
                acc1 = Vector256.FusedMultiplyAdd(Lanes4(w1 + o, av, offset, mask, shifts, ones), Vector256.Create(s1[b]) * sab, acc1);
                acc2 = Vector256.FusedMultiplyAdd(Lanes4(w2 + o, av, offset, mask, shifts, ones), Vector256.Create(s2[b]) * sab, acc2);
                acc3 = Vector256.FusedMultiplyAdd(Lanes4(w3 + o, av, offset, mask, shifts, ones), Vector256.Create(s3[b]) * sab, acc3);
            }
            var sums = Reduce4(acc0, acc1, acc2, acc3);
            if (n == 4)
            {
                if (bias != null) sums += Vector128.Load(bias + r);
                sums.Store(y + r);
            }
            else
                for (int i = 0; i < n; i++) y[r + i] = bias == null ? sums.GetElement(i) : sums.GetElement(i) + bias[r + i];
        }
    }

    // Σ (q − 8)·a in eight int32 lanes of four values, as float (exact: |Σ| ≤ 4·8·127).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lanes4(byte* q, Vector256<sbyte> a, Vector256<short> offset, Vector256<byte> mask, Vector256<ulong> shifts, Vector256<short> ones)
    {
        var packed = Avx2.BroadcastVector128ToVector256(q).AsUInt64();
        var nibbles = Avx2.ShiftRightLogicalVariable(packed, shifts).AsByte() & mask;
        // Pair sums of q·a lie within ±2·15·127 and 8·(a+a') within ±2032, so neither the maddubs nor the difference saturates.
        var pairs = Avx2.Subtract(Avx2.MultiplyAddAdjacent(nibbles, a), offset);
        return Vector256.ConvertToSingle(Avx2.MultiplyAddAdjacent(pairs, ones));
    }

    // Row i's result in element i: ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)) of accumulator i, as in the scalar path.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector256<float> acc0, Vector256<float> acc1, Vector256<float> acc2, Vector256<float> acc3)
    {
        var h = Avx.HorizontalAdd(Avx.HorizontalAdd(acc0, acc1), Avx.HorizontalAdd(acc2, acc3));
        return h.GetLower() + h.GetUpper();
    }
}
