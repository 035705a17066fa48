using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Attention of one query head over a KV cache (the decode step of a language model): scores_t = scale·q·k_t,
/// p = softmax(scores), output = Σ_t p_t·v_t over t in [0, len). Keys and values are rows <c>stride</c> floats
/// apart (one head's slice of a (T, Hkv·D) cache). Head dimensions are small (48–128), so the work per call is a
/// few hundred short dot products: keys are dotted four at a time (independent FMA chains) and the weighted sum
/// keeps up to four vectors of the output in registers across all positions instead of one library call per
/// position. Vector512/256/128 (each loop written once, generic over the width) with a scalar fallback; one call is sequential, so results do not depend on threads.
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
        fixed (float* ps = scores)
        {
            int t = simd switch
            {
                SimdLevel.V512 when d >= 16 => Scores4<Ops512, Vector512<float>>(q, keys, stride, len, d, scale, ps),
                // A head narrower than one Vector512 still takes the Vector256 loop.
                >= SimdLevel.V256 when d >= 8 => Scores4<Ops256, Vector256<float>>(q, keys, stride, len, d, scale, ps),
                SimdLevel.V128 when d >= 4 => Scores4<Ops128, Vector128<float>>(q, keys, stride, len, d, scale, ps),
                _ => 0,
            };
            for (; t < len; t++) ps[t] = Gemv.Dot(q, keys + (long)t * stride, d, simd) * scale;
        }
    }

    // Keys four at a time (four independent chains sharing each load of q); returns how many positions it scored.
    private static int Scores4<TOps, TV>(float* q, float* keys, int stride, int len, int d, float scale, float* scores)
        where TOps : IVectorOps<TV> where TV : struct
    {
        int c = TOps.Count, t = 0;
        for (; t + 4 <= len; t += 4)
        {
            float* k0 = keys + (long)t * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
            TV a0 = default, a1 = default, a2 = default, a3 = default;
            int i = 0;
            for (; i + c <= d; i += c)
            {
                var x = TOps.Load(q + i);
                a0 = TOps.MultiplyAdd(TOps.Load(k0 + i), x, a0);
                a1 = TOps.MultiplyAdd(TOps.Load(k1 + i), x, a1);
                a2 = TOps.MultiplyAdd(TOps.Load(k2 + i), x, a2);
                a3 = TOps.MultiplyAdd(TOps.Load(k3 + i), x, a3);
            }
            float s0 = TOps.Sum(a0), s1 = TOps.Sum(a1), s2 = TOps.Sum(a2), s3 = TOps.Sum(a3);
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
        return t;
    }

    // output = Σ_t p_t·v_t, a column strip of up to four vectors at a time held in registers over every t.
    private static void WeightedSum(float* p, float* values, int stride, int len, int d, float* output, SimdLevel simd)
    {
        int i = simd switch
        {
            SimdLevel.V512 => WeightedSum<Ops512, Vector512<float>>(p, values, stride, len, d, output),
            SimdLevel.V256 => WeightedSum<Ops256, Vector256<float>>(p, values, stride, len, d, output),
            SimdLevel.V128 => WeightedSum<Ops128, Vector128<float>>(p, values, stride, len, d, output),
            _ => 0,
        };
        for (; i < d; i++)
        {
            float sum = 0;
            float* v = values + i;
            for (int t = 0; t < len; t++, v += stride) sum += p[t] * *v;
            output[i] = sum;
        }
    }

    // Every output element is one multiply-add chain over t in order, whatever the strip width; returns the columns done.
    private static int WeightedSum<TOps, TV>(float* p, float* values, int stride, int len, int d, float* output)
        where TOps : IVectorOps<TV> where TV : struct
    {
        int c = TOps.Count, i = 0;
        for (; i + 4 * c <= d; i += 4 * c)
        {
            TV a0 = default, a1 = default, a2 = default, a3 = default;
            float* v = values + i;
            for (int t = 0; t < len; t++, v += stride)
            {
                var s = TOps.Broadcast(p[t]);
                a0 = TOps.MultiplyAdd(TOps.Load(v), s, a0);
                a1 = TOps.MultiplyAdd(TOps.Load(v + c), s, a1);
                a2 = TOps.MultiplyAdd(TOps.Load(v + 2 * c), s, a2);
                a3 = TOps.MultiplyAdd(TOps.Load(v + 3 * c), s, a3);
            }
            TOps.Store(a0, output + i);
            TOps.Store(a1, output + i + c);
            TOps.Store(a2, output + i + 2 * c);
            TOps.Store(a3, output + i + 3 * c);
        }
        if (i + c <= d)
        {
            // 1–3 vectors left (3·16 for a head of 48 at V512).
            int n = (d - i) / c;
            TV a0 = default, a1 = default, a2 = default;
            float* v = values + i;
            for (int t = 0; t < len; t++, v += stride)
            {
                var s = TOps.Broadcast(p[t]);
                a0 = TOps.MultiplyAdd(TOps.Load(v), s, a0);
                if (n > 1) a1 = TOps.MultiplyAdd(TOps.Load(v + c), s, a1);
                if (n > 2) a2 = TOps.MultiplyAdd(TOps.Load(v + 2 * c), s, a2);
            }
            TOps.Store(a0, output + i);
            if (n > 1) TOps.Store(a1, output + i + c);
            if (n > 2) TOps.Store(a2, output + i + 2 * c);
            i += c * n;
        }
        return i;
    }
}
