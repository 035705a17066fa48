using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TinyLM.Kernels;

/// <summary>
/// Fused causal scaled-dot-product attention over head-interleaved rows, forward and backward, for training.
/// q is (B, T, H·D) and k, v are (B, T, H_kv·D), row-major, exactly as the projections produce them, so no
/// permute is ever materialised; the output o is (B, T, H·D), ready for the output projection. Query head h
/// reads key/value head h / (H/H_kv) (grouped-query attention). Only the causal triangle j ≤ i is computed.
/// <para>Work is split over (batch, key/value head) pairs: one index owns the output rows of its G query heads
/// and the key/value gradient rows of its head, and sums everything in a fixed order, so results are the same
/// bits at every thread count. The probabilities P (B, H, T, T) are saved by the forward for the backward
/// (entries above the diagonal are written as zero).</para>
/// </summary>
public static unsafe class AttentionKernels
{
    [ThreadStatic] private static float[]? _scratch;
    [ThreadStatic] private static ForwardJob? _forward;
    [ThreadStatic] private static BackwardJob? _backward;

    /// <summary>
    /// o = softmax(scale·q·kᵀ + causal mask)·v per (batch, head); saves the probabilities in p (B, H, T, T).
    /// </summary>
    public static void CausalForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, Span<float> p,
        int batch, int t, int heads, int kvHeads, int headDim, float scale) =>
        CausalForward(q, k, v, o, p, batch, t, heads, kvHeads, headDim, scale, Simd.Level, Threading.MaxThreads);

    internal static void CausalForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> o, Span<float> p,
        int batch, int t, int heads, int kvHeads, int headDim, float scale, SimdLevel simd, int threads)
    {
        Check("AttentionKernels.CausalForward", q.Length, k.Length, v.Length, o.Length, p.Length, batch, t, heads, kvHeads, headDim);
        fixed (float* pq = q, pk = k, pv = v, po = o, pp = p)
        {
            var job = _forward ??= new ForwardJob();
            job.Set(pq, pk, pv, po, pp, null, t, heads, kvHeads, headDim, scale, simd);
            Threading.For(batch * kvHeads, job, threads);
        }
    }

    /// <summary>
    /// Gradients of <see cref="CausalForward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, int, int, int, float)"/>
    /// given the saved probabilities p and dO (B, T, H·D); adds into dq, dk and dv (any may be empty to skip it).
    /// </summary>
    public static void CausalBackward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> p,
        ReadOnlySpan<float> dOut, Span<float> dq, Span<float> dk, Span<float> dv, int batch, int t, int heads, int kvHeads, int headDim, float scale) =>
        CausalBackward(q, k, v, p, dOut, dq, dk, dv, batch, t, heads, kvHeads, headDim, scale, Simd.Level, Threading.MaxThreads);

    internal static void CausalBackward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> p,
        ReadOnlySpan<float> dOut, Span<float> dq, Span<float> dk, Span<float> dv, int batch, int t, int heads, int kvHeads, int headDim, float scale,
        SimdLevel simd, int threads)
    {
        Check("AttentionKernels.CausalBackward", q.Length, k.Length, v.Length, dOut.Length, p.Length, batch, t, heads, kvHeads, headDim);
        long qLen = (long)batch * t * heads * headDim, kvLen = (long)batch * t * kvHeads * headDim;
        if ((!dq.IsEmpty && dq.Length < qLen) || (!dk.IsEmpty && dk.Length < kvLen) || (!dv.IsEmpty && dv.Length < kvLen))
            throw new ArgumentException($"AttentionKernels.CausalBackward: gradient spans {dq.Length}/{dk.Length}/{dv.Length} floats are too short for (B={batch}, T={t}, H={heads}, Hkv={kvHeads}, D={headDim}).");
        fixed (float* pq = q, pk = k, pv = v, pp = p, pdo = dOut, pdq = dq, pdk = dk, pdv = dv)
        {
            var job = _backward ??= new BackwardJob();
            job.Set(pq, pk, pv, null, pp, pdo, t, heads, kvHeads, headDim, scale, simd);
            job.DQ = dq.IsEmpty ? null : pdq;
            job.DK = dk.IsEmpty ? null : pdk;
            job.DV = dv.IsEmpty ? null : pdv;
            Threading.For(batch * kvHeads, job, threads);
        }
    }

    private static void Check(string op, int q, int k, int v, int o, int p, int batch, int t, int heads, int kvHeads, int headDim)
    {
        if (batch < 0 || t < 1 || headDim < 1 || kvHeads < 1 || heads < kvHeads || heads % kvHeads != 0)
            throw new ArgumentException($"{op}: invalid shape (B={batch}, T={t}, H={heads}, Hkv={kvHeads}, D={headDim}).");
        long qLen = (long)batch * t * heads * headDim, kvLen = (long)batch * t * kvHeads * headDim, pLen = (long)batch * heads * t * t;
        if (q < qLen || k < kvLen || v < kvLen || o < qLen || p < pLen)
            throw new ArgumentException($"{op}: spans q {q}, k {k}, v {v}, o/dO {o}, p {p} floats are too short for (B={batch}, T={t}, H={heads}, Hkv={kvHeads}, D={headDim}).");
    }

    private static float* Scratch(int length, out float[] array)
    {
        array = _scratch is { } s && s.Length >= length ? s : (_scratch = GC.AllocateArray<float>(length, pinned: true));
        return (float*)Unsafe.AsPointer(ref array[0]);
    }

    private abstract class Job : ParallelJob
    {
        protected float* Q, K, V, O, P, DO;
        protected int T, H, Hkv, D, G, Tp;
        protected float Scale;
        protected SimdLevel Simd;

        public void Set(float* q, float* k, float* v, float* o, float* p, float* dOut, int t, int h, int hkv, int d, float scale, SimdLevel simd)
        {
            Q = q; K = k; V = v; O = o; P = p; DO = dOut;
            T = t; H = h; Hkv = hkv; D = d; G = h / hkv; Scale = scale; Simd = simd;
            Tp = (t + 15) & ~15;
        }

        // dst (D, Tp) = transpose of the T rows (stride ld) of src; padding columns are zero.
        protected void Transpose(float* src, int ld, float* dst)
        {
            new Span<float>(dst, D * Tp).Clear();
            for (int j = 0; j < T; j++)
            {
                float* row = src + (long)j * ld;
                for (int c = 0; c < D; c++) dst[c * Tp + j] = row[c];
            }
        }

        // s[0..n) (n rounded up to the vector width, ≤ Tp) = Σ_c x[c]·mt[c, 0..n): one row of x·m with m transposed (D, Tp).
        protected void RowTimesTransposed(float* x, float* mt, int n, float* s)
        {
            int j = 0;
            if (Simd == SimdLevel.V512)
            {
                // Four column blocks at once: four independent FMA chains per broadcast of x[c].
                for (; j + 64 <= n; j += 64)
                {
                    Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    for (int c = 0; c < D; c++)
                    {
                        var xc = Vector512.Create(x[c]);
                        float* m = mt + c * Tp + j;
                        a0 = Vector512.FusedMultiplyAdd(xc, Vector512.Load(m), a0);
                        a1 = Vector512.FusedMultiplyAdd(xc, Vector512.Load(m + 16), a1);
                        a2 = Vector512.FusedMultiplyAdd(xc, Vector512.Load(m + 32), a2);
                        a3 = Vector512.FusedMultiplyAdd(xc, Vector512.Load(m + 48), a3);
                    }
                    a0.Store(s + j); a1.Store(s + j + 16); a2.Store(s + j + 32); a3.Store(s + j + 48);
                }
                for (; j + 32 <= n; j += 32)
                {
                    Vector512<float> a0 = default, a1 = default;
                    for (int c = 0; c < D; c++)
                    {
                        var xc = Vector512.Create(x[c]);
                        float* m = mt + c * Tp + j;
                        a0 = Vector512.FusedMultiplyAdd(xc, Vector512.Load(m), a0);
                        a1 = Vector512.FusedMultiplyAdd(xc, Vector512.Load(m + 16), a1);
                    }
                    a0.Store(s + j); a1.Store(s + j + 16);
                }
                for (; j < n; j += 16)
                {
                    var acc = Vector512<float>.Zero;
                    for (int c = 0; c < D; c++) acc = Vector512.FusedMultiplyAdd(Vector512.Create(x[c]), Vector512.Load(mt + c * Tp + j), acc);
                    acc.Store(s + j);
                }
                return;
            }
            if (Simd == SimdLevel.V256)
            {
                RowTimesTransposed<Ops256, Vector256<float>>(x, mt, n, s);
                return;
            }
            if (Simd == SimdLevel.V128)
            {
                RowTimesTransposed<Ops128, Vector128<float>>(x, mt, n, s);
                return;
            }
            for (; j < n; j++)
            {
                float acc = 0;
                for (int c = 0; c < D; c++) acc += x[c] * mt[c * Tp + j];
                s[j] = acc;
            }
        }

        // One vector of columns at a time (n is padded to the width): one multiply-add chain over c per column.
        private void RowTimesTransposed<TOps, TV>(float* x, float* mt, int n, float* s) where TOps : IVectorOps<TV> where TV : struct
        {
            for (int j = 0; j < n; j += TOps.Count)
            {
                var acc = default(TV);
                for (int c = 0; c < D; c++) acc = TOps.MultiplyAdd(TOps.Broadcast(x[c]), TOps.Load(mt + c * Tp + j), acc);
                TOps.Store(acc, s + j);
            }
        }

        // y[0..D) (= or +=) Σ_{j<n} w[j]·rows[j] with rows of D floats at stride ld.
        protected void WeightedRows(float* w, int n, float* rows, int ld, float* y, bool accumulate)
        {
            int c = 0;
            if (Simd == SimdLevel.V512)
            {
                // 32 columns and two rows per iteration: four independent FMA chains.
                for (; c + 32 <= D; c += 32)
                {
                    Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
                    int j = 0;
                    for (; j + 2 <= n; j += 2)
                    {
                        float* r0 = rows + (long)j * ld + c, r1 = r0 + ld;
                        var w0 = Vector512.Create(w[j]);
                        var w1 = Vector512.Create(w[j + 1]);
                        a0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(r0), a0);
                        a1 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(r0 + 16), a1);
                        b0 = Vector512.FusedMultiplyAdd(w1, Vector512.Load(r1), b0);
                        b1 = Vector512.FusedMultiplyAdd(w1, Vector512.Load(r1 + 16), b1);
                    }
                    if (j < n)
                    {
                        float* r0 = rows + (long)j * ld + c;
                        var w0 = Vector512.Create(w[j]);
                        a0 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(r0), a0);
                        a1 = Vector512.FusedMultiplyAdd(w0, Vector512.Load(r0 + 16), a1);
                    }
                    a0 += b0;
                    a1 += b1;
                    if (accumulate)
                    {
                        a0 += Vector512.Load(y + c);
                        a1 += Vector512.Load(y + c + 16);
                    }
                    a0.Store(y + c);
                    a1.Store(y + c + 16);
                }
                for (; c + 16 <= D; c += 16)
                {
                    var acc = accumulate ? Vector512.Load(y + c) : Vector512<float>.Zero;
                    for (int j = 0; j < n; j++) acc = Vector512.FusedMultiplyAdd(Vector512.Create(w[j]), Vector512.Load(rows + (long)j * ld + c), acc);
                    acc.Store(y + c);
                }
            }
            // Columns a V512 block leaves, and every column below V512: one multiply-add chain over j per column.
            if (Simd >= SimdLevel.V256) c = WeightedColumns<Ops256, Vector256<float>>(w, n, rows, ld, y, accumulate, c);
            else if (Simd == SimdLevel.V128) c = WeightedColumns<Ops128, Vector128<float>>(w, n, rows, ld, y, accumulate, c);
            for (; c < D; c++)
            {
                float acc = accumulate ? y[c] : 0f;
                for (int j = 0; j < n; j++) acc = MathF.FusedMultiplyAdd(w[j], rows[(long)j * ld + c], acc);
                y[c] = acc;
            }
        }

        private int WeightedColumns<TOps, TV>(float* w, int n, float* rows, int ld, float* y, bool accumulate, int c)
            where TOps : IVectorOps<TV> where TV : struct
        {
            for (; c + TOps.Count <= D; c += TOps.Count)
            {
                var acc = accumulate ? TOps.Load(y + c) : default;
                for (int j = 0; j < n; j++) acc = TOps.MultiplyAdd(TOps.Broadcast(w[j]), TOps.Load(rows + (long)j * ld + c), acc);
                TOps.Store(acc, y + c);
            }
            return c;
        }

        // rows[j] += w[j]·x for j < n (rows of D floats, contiguous).
        protected void ScatterAdd(float* w, int n, float* x, float* rows)
        {
            for (int j = 0; j < n; j++)
            {
                float a = w[j];
                float* r = rows + j * D;
                int c = 0;
                if (Simd == SimdLevel.V512)
                {
                    var av = Vector512.Create(a);
                    for (; c + 16 <= D; c += 16) Vector512.FusedMultiplyAdd(av, Vector512.Load(x + c), Vector512.Load(r + c)).Store(r + c);
                }
                if (Simd >= SimdLevel.V256) c = ScaledAdd<Ops256, Vector256<float>>(a, x, r, c);
                else if (Simd == SimdLevel.V128) c = ScaledAdd<Ops128, Vector128<float>>(a, x, r, c);
                for (; c < D; c++) r[c] = MathF.FusedMultiplyAdd(a, x[c], r[c]);
            }
        }

        // r[c] += a·x[c] over whole vectors from c; returns where it stopped.
        private int ScaledAdd<TOps, TV>(float a, float* x, float* r, int c) where TOps : IVectorOps<TV> where TV : struct
        {
            var av = TOps.Broadcast(a);
            for (; c + TOps.Count <= D; c += TOps.Count) TOps.Store(TOps.MultiplyAdd(av, TOps.Load(x + c), TOps.Load(r + c)), r + c);
            return c;
        }

        protected int Width => Simd switch { SimdLevel.V512 => 16, SimdLevel.V256 => 8, SimdLevel.V128 => 4, _ => 1 };

        protected int Padded(int n)
        {
            int w = Width;
            return (n + w - 1) / w * w;
        }
    }

    private sealed class ForwardJob : Job
    {
        public override void Run(int index)
        {
            int b = index / Hkv, j = index % Hkv, ldq = H * D, ldk = Hkv * D;
            float* kt = Scratch(D * Tp + Tp, out var keep);
            float* s = kt + D * Tp;
            Transpose(K + (long)b * T * ldk + j * D, ldk, kt);
            float* vBase = V + (long)b * T * ldk + j * D;
            for (int g = 0; g < G; g++)
            {
                int hh = j * G + g;
                float* pRows = P + ((long)b * H + hh) * T * T;
                for (int i = 0; i < T; i++)
                {
                    long row = ((long)b * T + i) * ldq + hh * D;
                    int n = i + 1;
                    RowTimesTransposed(Q + row, kt, Padded(n), s);
                    var sr = new Span<float>(s, n);
                    var pr = new Span<float>(pRows + (long)i * T, T);
                    var pn = pr[..n];
                    // exp(scale·(s − max)) / Σ: the max is subtracted, so large scores cannot overflow.
                    float max = TensorPrimitives.Max(sr);
                    TensorPrimitives.Subtract(sr, max, pn);
                    TensorPrimitives.Multiply(pn, Scale, pn);
                    TensorPrimitives.Exp(pn, pn);
                    TensorPrimitives.Multiply(pn, 1f / TensorPrimitives.Sum(pn), pn);
                    pr[n..].Clear();
                    WeightedRows(pRows + (long)i * T, n, vBase, ldk, O + row, accumulate: false);
                }
            }
            GC.KeepAlive(keep);
        }
    }

    private sealed class BackwardJob : Job
    {
        public float* DQ, DK, DV;

        public override void Run(int index)
        {
            int b = index / Hkv, j = index % Hkv, ldq = H * D, ldk = Hkv * D;
            float* vt = Scratch(D * Tp + 2 * Tp + 2 * T * D, out var keep);
            float* dp = vt + D * Tp;
            float* ds = dp + Tp;
            float* dkAcc = ds + Tp;
            float* dvAcc = dkAcc + T * D;
            new Span<float>(dkAcc, 2 * T * D).Clear();
            Transpose(V + (long)b * T * ldk + j * D, ldk, vt);
            float* kBase = K + (long)b * T * ldk + j * D;
            for (int g = 0; g < G; g++)
            {
                int hh = j * G + g;
                float* pRows = P + ((long)b * H + hh) * T * T;
                for (int i = 0; i < T; i++)
                {
                    long row = ((long)b * T + i) * ldq + hh * D;
                    int n = i + 1;
                    float* pr = pRows + (long)i * T;
                    float* dOi = DO + row;
                    // dP_i = dO_i · Vᵀ; dS_i = P_i ⊙ (dP_i − ⟨P_i, dP_i⟩), scaled for q·kᵀ.
                    RowTimesTransposed(dOi, vt, Padded(n), dp);
                    var pSpan = new ReadOnlySpan<float>(pr, n);
                    var dpSpan = new Span<float>(dp, n);
                    float delta = TensorPrimitives.Dot(pSpan, dpSpan);
                    var dsSpan = new Span<float>(ds, n);
                    TensorPrimitives.Subtract(dpSpan, delta, dsSpan);
                    TensorPrimitives.Multiply(dsSpan, pSpan, dsSpan);
                    TensorPrimitives.Multiply(dsSpan, Scale, dsSpan);
                    if (DQ != null) WeightedRows(ds, n, kBase, ldk, DQ + row, accumulate: true);
                    if (DK != null) ScatterAdd(ds, n, Q + row, dkAcc);
                    if (DV != null) ScatterAdd(pr, n, dOi, dvAcc);
                }
            }
            for (int i = 0; i < T; i++)
            {
                long row = ((long)b * T + i) * ldk + j * D;
                if (DK != null) TensorPrimitives.Add(new ReadOnlySpan<float>(DK + row, D), new ReadOnlySpan<float>(dkAcc + i * D, D), new Span<float>(DK + row, D));
                if (DV != null) TensorPrimitives.Add(new ReadOnlySpan<float>(DV + row, D), new ReadOnlySpan<float>(dvAcc + i * D, D), new Span<float>(DV + row, D));
            }
            GC.KeepAlive(keep);
        }
    }
}
