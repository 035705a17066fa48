using System.Buffers.Binary;

namespace TinyLM.Kernels;

/// <summary>
/// llama.cpp's Q4_K super-block (ggml type 12), byte for byte: 256 values in 8 sub-blocks of 32; 144 bytes =
/// f16 d, f16 dmin, 12 bytes of 6-bit sub-block scales and mins, 128 bytes of 4-bit q. Value = d·sc·q − dmin·m.
/// Scale packing: for sub-blocks 0–3, bytes 0–3 hold sc and bytes 4–7 hold m in their low 6 bits; sub-blocks 4–7
/// keep their low 4 bits of sc / m in the low / high nibble of bytes 8–11 and their top 2 bits in the spare top
/// bits of bytes 0–3 (sc) and 4–7 (m). Nibble order: byte 32g + l of q holds value 64g + l (sub-block 2g) in its low
/// nibble and value 64g + 32 + l (sub-block 2g + 1) in its high nibble.
/// </summary>
internal static class Q4KQuant
{
    /// <summary>Values per super-block.</summary>
    public const int Values = 256;
    /// <summary>Bytes per super-block.</summary>
    public const int Bytes = 144;
    /// <summary>Sub-blocks of 32 per super-block.</summary>
    public const int SubBlocks = 8;
    /// <summary>Offset of the 128 bytes of 4-bit q.</summary>
    public const int QsOffset = 16;
    private const int ScalesOffset = 4, SubSize = 32, QMax = 15, ScaleMax = 63;

    /// <summary>The 6-bit scale and min of every sub-block from the 12 packed bytes.</summary>
    public static void UnpackScales(ReadOnlySpan<byte> packed, Span<int> sc, Span<int> m)
    {
        for (int j = 0; j < 4; j++)
        {
            sc[j] = packed[j] & 63;
            m[j] = packed[j + 4] & 63;
            sc[j + 4] = (packed[j + 8] & 0x0F) | ((packed[j] >> 6) << 4);
            m[j + 4] = (packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4);
        }
    }

    /// <summary>Packs 8 scales and 8 mins (each 0..63) into 12 bytes.</summary>
    public static void PackScales(ReadOnlySpan<int> sc, ReadOnlySpan<int> m, Span<byte> packed)
    {
        for (int j = 0; j < 4; j++)
        {
            packed[j] = (byte)(sc[j] | ((sc[j + 4] >> 4) << 6));
            packed[j + 4] = (byte)(m[j] | ((m[j + 4] >> 4) << 6));
            packed[j + 8] = (byte)((sc[j + 4] & 0x0F) | ((m[j + 4] & 0x0F) << 4));
        }
    }

    /// <summary>The float scale d·sc and offset dmin·m of each sub-block of one super-block (exact: an f16 times a 6-bit integer fits a float).</summary>
    public static void SubScales(ReadOnlySpan<byte> block, Span<float> scales, Span<float> mins)
    {
        float d = Half(block), dmin = Half(block[2..]);
        Span<int> sc = stackalloc int[SubBlocks], m = stackalloc int[SubBlocks];
        UnpackScales(block.Slice(ScalesOffset, 12), sc, m);
        for (int j = 0; j < SubBlocks; j++)
        {
            scales[j] = d * sc[j];
            mins[j] = dmin * m[j];
        }
    }

    public static void DequantizeBlock(ReadOnlySpan<byte> block, Span<float> x)
    {
        Span<float> scales = stackalloc float[SubBlocks], mins = stackalloc float[SubBlocks];
        SubScales(block, scales, mins);
        var qs = block.Slice(QsOffset, Values / 2);
        for (int j = 0; j < SubBlocks; j++)
            for (int l = 0; l < SubSize; l++)
                x[j * SubSize + l] = scales[j] * Nibble(qs, j, l) - mins[j];
    }

    /// <summary>
    /// Quantizes 256 finite values: each sub-block gets the (scale, min) that minimises its squared error (several
    /// starting ranges, each refined by alternating nearest-level assignment and a least-squares refit), then the 8
    /// scales and 8 mins are rounded to 6 bits against d = max scale / 63 and dmin = max min / 63 (stored as f16), each
    /// (scale, min) pair then taking the best of its ±1 neighbours, and the values are assigned their nearest level
    /// under the scales as stored.
    /// </summary>
    public static void QuantizeBlock(ReadOnlySpan<float> x, Span<byte> dst)
    {
        Span<float> s = stackalloc float[SubBlocks], mn = stackalloc float[SubBlocks];
        Span<byte> levels = stackalloc byte[SubSize];
        float maxS = 0f, maxM = 0f;
        for (int j = 0; j < SubBlocks; j++)
        {
            (s[j], mn[j]) = FitSubBlock(x.Slice(j * SubSize, SubSize), levels);
            maxS = Math.Max(maxS, s[j]);
            maxM = Math.Max(maxM, mn[j]);
        }
        var d = (Half)(maxS / ScaleMax);
        var dmin = (Half)(maxM / ScaleMax);
        if (!float.IsFinite((float)d) || !float.IsFinite((float)dmin))
            throw new ArgumentException($"Q4_K: sub-block scales up to {maxS} and mins up to {maxM} overflow the f16 super-scales.");
        BinaryPrimitives.WriteUInt16LittleEndian(dst, BitConverter.HalfToUInt16Bits(d));
        BinaryPrimitives.WriteUInt16LittleEndian(dst[2..], BitConverter.HalfToUInt16Bits(dmin));
        Span<int> sc = stackalloc int[SubBlocks], m = stackalloc int[SubBlocks];
        for (int j = 0; j < SubBlocks; j++)
            (sc[j], m[j]) = SixBitPair(x.Slice(j * SubSize, SubSize), SixBit(s[j], (float)d), SixBit(mn[j], (float)dmin), (float)d, (float)dmin, levels);
        PackScales(sc, m, dst.Slice(ScalesOffset, 12));
        var qs = dst.Slice(QsOffset, Values / 2);
        qs.Clear();
        for (int j = 0; j < SubBlocks; j++)
        {
            float scale = (float)d * sc[j], min = (float)dmin * m[j];
            Assign(x.Slice(j * SubSize, SubSize), scale, min, levels);
            for (int l = 0; l < SubSize; l++)
                qs[(j >> 1) * SubSize + l] |= (byte)((j & 1) == 0 ? levels[l] : levels[l] << 4);
        }
    }

    private static int Nibble(ReadOnlySpan<byte> qs, int subBlock, int l)
    {
        byte b = qs[(subBlock >> 1) * SubSize + l];
        return (subBlock & 1) == 0 ? b & 0x0F : b >> 4;
    }

    // Rounding the scale and the min to 6 bits separately is not the best pair: the neighbours of each are tried
    // against the sub-block's values (first smallest error wins).
    private static (int Scale, int Min) SixBitPair(ReadOnlySpan<float> x, int sc, int m, float d, float dmin, Span<byte> levels)
    {
        int bestSc = sc, bestM = m;
        double best = Error(x, d * sc, dmin * m, levels);
        for (int i = Math.Max(0, sc - 1); i <= Math.Min(ScaleMax, sc + 1); i++)
            for (int k = Math.Max(0, m - 1); k <= Math.Min(ScaleMax, m + 1); k++)
            {
                double err = Error(x, d * i, dmin * k, levels);
                if (err < best)
                {
                    best = err;
                    bestSc = i;
                    bestM = k;
                }
            }
        return (bestSc, bestM);
    }

    private static int SixBit(float value, float unit) => unit > 0f ? Math.Clamp((int)MathF.Round(value / unit), 0, ScaleMax) : 0;

    private static float Half(ReadOnlySpan<byte> p) => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(p));

    // The format reconstructs S·q − M with S ≥ 0, M ≥ 0 (the min is stored unsigned), so the range always reaches
    // down to min(x, 0). Starts: the full range and ranges shrunk by up to 20% (clipping outliers can pay), anchored at
    // the bottom or centred; each is refined twice.
    private static (float Scale, float Min) FitSubBlock(ReadOnlySpan<float> x, Span<byte> levels)
    {
        float lo = 0f, hi = float.MinValue;
        foreach (float v in x)
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        if (hi <= lo) return (0f, -lo);
        float bestS = (hi - lo) / QMax, bestM = -lo;
        double bestErr = Error(x, bestS, bestM, levels);
        for (int k = 0; k < 5; k++)
        {
            float shrink = 1f - 0.05f * k;
            for (int centred = 0; centred < (k == 0 ? 1 : 2); centred++)
            {
                float range = (hi - lo) * shrink;
                float scale = range / QMax, min = Math.Max(0f, -lo - centred * 0.5f * (hi - lo - range));
                for (int iter = 0; iter < 2; iter++)
                {
                    Assign(x, scale, min, levels);
                    if (!Refit(x, levels, ref scale, ref min)) break;
                }
                double err = Error(x, scale, min, levels);
                if (err < bestErr)
                {
                    bestErr = err;
                    bestS = scale;
                    bestM = min;
                }
            }
        }
        return (bestS, bestM);
    }

    private static void Assign(ReadOnlySpan<float> x, float scale, float min, Span<byte> levels)
    {
        float inv = scale > 0f ? 1f / scale : 0f;
        for (int i = 0; i < x.Length; i++)
            levels[i] = (byte)Math.Clamp((int)MathF.Round((x[i] + min) * inv), 0, QMax);
    }

    // Least squares of x ≈ S·q − M over the current levels; M is clamped at 0 (then S alone is refitted).
    private static bool Refit(ReadOnlySpan<float> x, ReadOnlySpan<byte> levels, ref float scale, ref float min)
    {
        double n = x.Length, sq = 0, sqq = 0, sx = 0, sqx = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sq += levels[i];
            sqq += levels[i] * levels[i];
            sx += x[i];
            sqx += levels[i] * (double)x[i];
        }
        double det = n * sqq - sq * sq;
        if (det <= 0) return false;
        double s = (n * sqx - sq * sx) / det;
        double m = (s * sq - sx) / n;
        if (m < 0)
        {
            m = 0;
            s = sqx / sqq;
        }
        if (!(s > 0)) return false;
        scale = (float)s;
        min = (float)m;
        return true;
    }

    private static double Error(ReadOnlySpan<float> x, float scale, float min, Span<byte> levels)
    {
        Assign(x, scale, min, levels);
        double err = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = scale * levels[i] - min - (double)x[i];
            err += e * e;
        }
        return err;
    }
}
