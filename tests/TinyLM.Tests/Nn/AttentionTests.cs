using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;

namespace TinyLM.Tests.Nn;

public class AttentionTests
{
    // Float64 reference: per batch, head; llama-style interleaved RoPE; mask -> excluded keys.
    private static double[] Reference(MultiHeadAttention a, float[] x, int b, int t, int[]? lengths)
    {
        int c = a.ModelDim, h = a.Heads, hkv = a.KvHeads, d = a.HeadDim, g = h / hkv;
        double[] Proj(Linear l, double[] input, int rows)
        {
            var w = l.Weight.ToArray(); var bias = l.Bias?.ToArray();
            var y = new double[rows * l.OutFeatures];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < l.OutFeatures; o++)
                {
                    double s = bias?[o] ?? 0;
                    for (int i = 0; i < l.InFeatures; i++) s += input[r * l.InFeatures + i] * w[o * l.InFeatures + i];
                    y[r * l.OutFeatures + o] = s;
                }
            return y;
        }
        void Rope(double[] v, int heads)
        {
            if (a.Rope is null) return;
            for (int r = 0; r < b * t; r++)
                for (int hh = 0; hh < heads; hh++)
                    for (int i = 0; i < d / 2; i++)
                    {
                        int pos = r % t;
                        double ang = pos * Math.Pow(a.Rope.Theta, -2.0 * i / d);
                        int o = (r * heads + hh) * d + 2 * i;
                        double x0 = v[o], x1 = v[o + 1];
                        v[o] = x0 * Math.Cos(ang) - x1 * Math.Sin(ang);
                        v[o + 1] = x0 * Math.Sin(ang) + x1 * Math.Cos(ang);
                    }
        }
        var xd = x.Select(v => (double)v).ToArray();
        var q = Proj(a.Wq, xd, b * t); var k = Proj(a.Wk, xd, b * t); var v = Proj(a.Wv, xd, b * t);
        Rope(q, h); Rope(k, hkv);
        var att = new double[b * t * h * d];
        for (int bi = 0; bi < b; bi++)
            for (int hh = 0; hh < h; hh++)
                for (int i = 0; i < t; i++)
                {
                    int j0 = hh / g;
                    int len = lengths?[bi] ?? t;
                    var s = new double[t];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < t; j++)
                    {
                        bool ok = j < len && (!a.Causal || j <= i);
                        if (!ok) { s[j] = double.NegativeInfinity; continue; }
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += q[((bi * t + i) * h + hh) * d + e] * k[((bi * t + j) * hkv + j0) * d + e];
                        s[j] = dot / Math.Sqrt(d);
                        max = Math.Max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < t; j++) { s[j] = double.IsNegativeInfinity(s[j]) ? 0 : Math.Exp(s[j] - max); z += s[j]; }
                    for (int e = 0; e < d; e++)
                    {
                        double acc = 0;
                        for (int j = 0; j < t; j++) acc += s[j] / z * v[((bi * t + j) * hkv + j0) * d + e];
                        att[((bi * t + i) * h + hh) * d + e] = acc;
                    }
                }
        return Proj(a.Wo, att, b * t);
    }

    public static TheoryData<int, int, bool, bool, bool> Configs => new()
    {
        // heads, kvHeads, causal, rope, padding
        { 2, 2, false, false, false },
        { 2, 2, false, false, true },
        { 4, 2, true, false, false },
        { 4, 1, true, true, true },
        { 2, 2, false, true, true },
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void Forward_matches_float64_reference(int heads, int kvHeads, bool causal, bool rope, bool padding)
    {
        var rng = new Rng(21);
        var a = new MultiHeadAttention(8, heads, rng, kvHeads, causal, rope: rope, maxPositions: 16);
        int b = 3, t = 5;
        int[]? lengths = padding ? [5, 2, 3] : null;
        var x = Tensor.Randn(rng, 1f, b, t, 8);
        var y = a.Forward(x, lengths).ToArray();
        var r = Reference(a, x.ToArray(), b, t, lengths);
        for (int i = 0; i < r.Length; i++) Assert.True(Math.Abs(r[i] - y[i]) < 1e-4, $"element {i}: {r[i]} vs {y[i]}");
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Gradients(int heads, int kvHeads, bool causal, bool rope, bool padding)
    {
        var rng = new Rng(22);
        var a = new MultiHeadAttention(2 * heads, heads, rng, kvHeads, causal, rope: rope, maxPositions: 8);
        int[]? lengths = padding ? [3, 2] : null;
        var x = GradCheck.Input(rng, [2, 3, 2 * heads]);
        GradCheck.Check(v => a.Forward(v[0], lengths), [x, .. a.Parameters()]);
    }

    [Fact]
    public void Padding_does_not_change_valid_positions()
    {
        var rng = new Rng(23);
        var a = new MultiHeadAttention(8, 2, rng, rope: true, maxPositions: 16);
        var x = Tensor.Randn(rng, 1f, 1, 6, 8);
        var padded = Tensor.Concat([x.Narrow(1, 0, 4), Tensor.Randn(rng, 5f, 1, 2, 8)], 1);
        var alone = a.Forward(x.Narrow(1, 0, 4).Contiguous()).ToArray();
        var withPad = a.Forward(padded, [4]).Narrow(1, 0, 4).ToArray();
        for (int i = 0; i < alone.Length; i++) Assert.Equal(alone[i], withPad[i], 5);
    }

    [Fact]
    public void Kv_cache_incremental_decoding_equals_full_causal_attention()
    {
        var rng = new Rng(24);
        var a = new MultiHeadAttention(16, 4, rng, kvHeads: 2, causal: true, rope: true, maxPositions: 32);
        a.Eval();
        int b = 2, t = 7;
        var x = Tensor.Randn(rng, 1f, b, t, 16);
        float[] full;
        using (Tensor.NoGrad()) full = a.Forward(x).ToArray();
        var cache = a.CreateCache(b, 10);
        var outs = new float[b * t * 16];
        // Prefill 3 positions, then one at a time.
        var pieces = new List<(int Start, int Count)> { (0, 3), (3, 1), (4, 1), (5, 1), (6, 1) };
        foreach (var (start, count) in pieces)
        {
            var step = a.ForwardCached(x.Narrow(1, start, count), cache).ToArray();
            for (int bi = 0; bi < b; bi++)
                step.AsSpan(bi * count * 16, count * 16).CopyTo(outs.AsSpan((bi * t + start) * 16, count * 16));
        }
        Assert.Equal(t, cache.Length);
        for (int i = 0; i < full.Length; i++) Assert.True(Math.Abs(full[i] - outs[i]) < 1e-5, $"element {i}: {full[i]} vs {outs[i]}");

        // The span path reuses its scratch: no managed allocation per decoded token.
        cache.Truncate(6);
        var one = x.Narrow(1, 6, 1).Contiguous().ToArray();
        var dst = new float[b * 16];
        a.ForwardCached(one, b, 1, cache, dst);
        cache.Truncate(6);
        long before = GC.GetAllocatedBytesForCurrentThread();
        a.ForwardCached(one, b, 1, cache, dst);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"allocated {allocated} bytes for one token");
        for (int bi = 0; bi < b; bi++)
            for (int e = 0; e < 16; e++) Assert.Equal(full[(bi * t + 6) * 16 + e], dst[bi * 16 + e], 5);

        Assert.Throws<ArgumentOutOfRangeException>(() => a.ForwardCached(Tensor.Zeros(b, 5, 16), cache));
    }

    [Fact]
    public void Grouped_query_attention_equals_mha_with_shared_kv_heads()
    {
        var rng = new Rng(25);
        var gqa = new MultiHeadAttention(8, 4, rng, kvHeads: 2, bias: false);
        var mha = new MultiHeadAttention(8, 4, rng, bias: false);
        gqa.Wq.Weight.AsSpan().CopyTo(mha.Wq.Weight.AsSpan());
        gqa.Wo.Weight.AsSpan().CopyTo(mha.Wo.Weight.AsSpan());
        // Query heads 0,1 share kv head 0; heads 2,3 share kv head 1 (head dim 2).
        for (int h = 0; h < 4; h++)
        {
            gqa.Wk.Weight.AsSpan().Slice(h / 2 * 2 * 8, 16).CopyTo(mha.Wk.Weight.AsSpan().Slice(h * 16, 16));
            gqa.Wv.Weight.AsSpan().Slice(h / 2 * 2 * 8, 16).CopyTo(mha.Wv.Weight.AsSpan().Slice(h * 16, 16));
        }
        var x = Tensor.Randn(rng, 1f, 2, 5, 8);
        var a = gqa.Forward(x, [5, 3]).ToArray();
        var m = mha.Forward(x, [5, 3]).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(m[i], a[i], 5);
        Assert.Equal(["wq.weight", "wk.weight", "wv.weight", "wo.weight"], gqa.NamedParameters().Select(p => p.Key));
        Assert.Equal([4, 8], gqa.Wk.Weight.Shape);
    }

    [Fact]
    public void Rope_gradient_and_relative_position_property()
    {
        var rng = new Rng(26);
        var rope = new RotaryEmbedding(6, 20);
        GradCheck.Check(v => rope.Apply(v[0], 3), GradCheck.Input(rng, [2, 3, 2, 6]));
        // <R(m)q, R(n)k> depends only on m − n.
        var q = Tensor.Randn(rng, 1f, 1, 1, 1, 6);
        var k = Tensor.Randn(rng, 1f, 1, 1, 1, 6);
        static double Dot(Tensor a, Tensor b) => a.ToArray().Zip(b.ToArray(), (x, y) => (double)x * y).Sum();
        double d1 = Dot(rope.Apply(q, 5), rope.Apply(k, 2));
        double d2 = Dot(rope.Apply(q, 12), rope.Apply(k, 9));
        Assert.Equal(d1, d2, 5);
        Assert.Equal(q.ToArray(), rope.Apply(q, 0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => rope.Apply(q, 20));
    }

    [Fact]
    public void Encoder_block_gradients_and_padding()
    {
        var rng = new Rng(27);
        var block = new TransformerEncoderBlock(4, 2, rng, hiddenDim: 6, dropout: 0f);
        Assert.Contains("mlp.c_fc.weight", block.NamedParameters().Select(p => p.Key));
        Assert.Contains("attn.wq.weight", block.NamedParameters().Select(p => p.Key));
        Assert.Contains("ln_1.weight", block.NamedParameters().Select(p => p.Key));
        foreach (var p in block.Parameters()) if (p.Rank == 1) rng.Normal(p.AsSpan(), 0f, 0.5f);
        var x = GradCheck.Input(rng, [2, 3, 4]);
        GradCheck.Check(v => block.Forward(v[0], [3, 2]), [x, .. block.Parameters()]);

        var causal = new TransformerEncoderBlock(8, 2, rng, dropout: 0f, kvHeads: 1, causal: true, rope: true, maxPositions: 8);
        var xs = Tensor.Randn(rng, 1f, 1, 5, 8);
        var prefix = causal.Forward(xs.Narrow(1, 0, 3).Contiguous()).ToArray();
        var all = causal.Forward(xs).Narrow(1, 0, 3).ToArray();
        for (int i = 0; i < prefix.Length; i++) Assert.Equal(prefix[i], all[i], 5);
    }

    [Fact]
    public void Encoder_block_dropout_only_in_training()
    {
        var rng = new Rng(28);
        var block = new TransformerEncoderBlock(8, 2, rng, dropout: 0.5f);
        var x = Tensor.Randn(rng, 1f, 1, 4, 8);
        block.Eval();
        var e1 = block.Forward(x).ToArray();
        var e2 = block.Forward(x).ToArray();
        Assert.Equal(e1, e2);
        block.Train();
        Assert.NotEqual(e1, block.Forward(x).ToArray());
    }
}
