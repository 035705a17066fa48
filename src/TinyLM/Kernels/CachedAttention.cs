using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Attention of one query head over a KV cache (the decode step of a language model): scores_t = scale·q·k_t,
/// p = softmax(scores), output = Σ_t p_t·v_t over t in [0, len). Keys and values are rows <c>stride</c> floats
/// apart (one head's slice of a (T, Hkv·D) cache). Head dimensions are small (48–128), so the work per call is a
/// few hundred short dot products: keys are dotted four at a time (independent FMA chains) and the weighted sum
/// keeps up to four vectors of the output in registers across all positions instead of one library call per
/// position. Vector512/Vector256 with a scalar fallback; one call is sequential, so results do not depend on threads.
/// </summary>
public static unsafe class CachedAttention
{
    /// <summary>
    /// One head: q (d), keys/values (len rows, <paramref name="stride"/> apart, d used), scores (≥ len floats of
    /// scratch, left holding the probabilities), output (d).
    /// </summary>
    public static void Head(float* q, float* keys, float* values, int stride, int len, int d, float scale, Span<float> scores, float* output) =>
        Head(q, keys, values, stride, len, d, scale, scores, output, Simd.Level);

    /// <summary>With an explicit SIMD path (tests force each one).</summary>
    internal static void Head(float* q, float* keys, float* values, int stride, int len, int d, float scale, Span<float> scores, float* output, SimdLevel simd)
    {
        if (len < 1 || d < 0 || stride < d || scores.Length < len)
            throw new ArgumentException($"CachedAttention.Head: len {len}, d {d}, stride {stride}, {scores.Length} score floats.");
        var p = scores[..len];
        Scores(q, keys, stride, len, d, scale, p, simd);
        // Not TensorPrimitives.SoftMax: it does not subtract the maximum, and trained models reach scores above 88.
        SoftmaxKernels.Softmax(p, p, 1, len);
        fixed (float* pp = p) WeightedSum(pp, values, stride, len, d, output, simd);
    }

    private static void Scores(float* q, float* keys, int stride, int len, int d, float scale, Span<float> scores, SimdLevel simd)
    {
        int t = 0;
        if (simd == SimdLevel.V512 && d >= 16)
        {
            for (; t + 4 <= len; t += 4)
            {
                float* k0 = keys + (long)t * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                int i = 0;
                for (; i + 16 <= d; i += 16)
                {
                    var x = Vector512.Load(q + i);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k0 + i), x, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k1 + i), x, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k2 + i), x, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k3 + i), x, a3);
                }
                float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
                for (; i < d; i++)
                {
                    s0 += k0[i] * q[i];
                    s1 += k1[i] * q[i];
                    s2 += k2[i] * q[i];
                    s3 += k3[i] * q[i];
                }
                scores[t] = s0 * scale;
                scores[t + 1] = s1 * scale;
                scores[t + 2] = s2 * scale;
                scores[t + 3] = s3 * scale;
            }
        }
        else if (simd >= SimdLevel.V256 && d >= 8)
        {
            for (; t + 4 <= len; t += 4)
            {
                float* k0 = keys + (long)t * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                int i = 0;
                for (; i + 8 <= d; i += 8)
                {
                    var x = Vector256.Load(q + i);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(k0 + i), x, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(k1 + i), x, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(k2 + i), x, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Load(k3 + i), x, a3);
                }
                float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
                for (; i < d; i++)
                {
                    s0 += k0[i] * q[i];
                    s1 += k1[i] * q[i];
                    s2 += k2[i] * q[i];
                    s3 += k3[i] * q[i];
                }
                scores[t] = s0 * scale;
                scores[t + 1] = s1 * scale;
                scores[t + 2] = s2 * scale;
                scores[t + 3] = s3 * scale;
            }
        }
        for (; t < len; t++) scores[t] = Gemv.Dot(q, keys + (long)t * stride, d, simd) * scale;
    }

    // output = Σ_t p_t·v_t, a column strip of up to four vectors at a time held in registers over every t.
    private static void WeightedSum(float* p, float* values, int stride, int len, int d, float* output, SimdLevel simd)
    {
        int i = 0;
        if (simd == SimdLevel.V512)
        {
            for (; i + 64 <= d; i += 64)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* v = values + i;
                for (int t = 0; t < len; t++, v += stride)
                {
                    var s = Vector512.Create(p[t]);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(v), s, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 16), s, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 32), s, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 48), s, a3);
                }
                a0.Store(output + i);
                a1.Store(output + i + 16);
                a2.Store(output + i + 32);
                a3.Store(output + i + 48);
            }
            if (i + 16 <= d)
            {
                // 1–3 vectors left (48 for a head of 48).
                int n = (d - i) / 16;
                Vector512<float> a0 = default, a1 = default, a2 = default;
                float* v = values + i;
                for (int t = 0; t < len; t++, v += stride)
                {
                    var s = Vector512.Create(p[t]);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(v), s, a0);
                    if (n > 1) a1 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 16), s, a1);
                    if (n > 2) a2 = Vector512.FusedMultiplyAdd(Vector512.Load(v + 32), s, a2);
                }
                a0.Store(output + i);
                if (n > 1) a1.Store(output + i + 16);
                if (n > 2) a2.Store(output + i + 32);
                i += 16 * n;
            }
        }
        else if (simd >= SimdLevel.V256)
        {
            for (; i + 32 <= d; i += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* v = values + i;
                for (int t = 0; t < len; t++, v += stride)
                {
                    var s = Vector256.Create(p[t]);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(v), s, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 8), s, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 16), s, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Load(v + 24), s, a3);
                }
                a0.Store(output + i);
                a1.Store(output + i + 8);
                a2.Store(output + i + 16);
                a3.Store(output + i + 24);
            }
            for (; i + 8 <= d; i += 8)
            {
                var a = Vector256<float>.Zero;
                float* v = values + i;
                for (int t = 0; t < len; t++, v += stride) a = Vector256.FusedMultiplyAdd(Vector256.Load(v), Vector256.Create(p[t]), a);
                a.Store(output + i);
            }
        }
        for (; i < d; i++)
        {
            float sum = 0;
            float* v = values + i;
            for (int t = 0; t < len; t++, v += stride) sum += p[t] * *v;
            output[i] = sum;
        }
    }
}
