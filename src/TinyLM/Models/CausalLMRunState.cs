using System.Numerics.Tensors;
using TinyLM.Kernels;
using TinyLM.Nn;

namespace TinyLM.Models;

/// <summary>
/// The inference state of one sequence for a <see cref="CausalLM"/> (llama2.c's RunState): a KV cache for every
/// layer and every activation buffer, allocated once (pinned) so that <see cref="DecodeStep"/> allocates nothing.
/// A decode step is matrix–vector work (<see cref="Gemv"/>, threaded over output rows; q/k/v and the two SwiGLU
/// input projections share one dispatch); <see cref="Prefill"/> runs prompt chunks as GEMMs. Attention is computed
/// per (position, head) over the cache, threaded over heads. Results equal the rows of <see cref="CausalLM.Forward"/>
/// in evaluation mode (up to float rounding), at any thread count bit for bit.
/// </summary>
public sealed unsafe class CausalLMRunState
{
    // Prompt rows processed per GEMM chunk: bounds the scratch (scores grow as chunk × heads × context).
    private const int ChunkRows = 64;

    private readonly CausalLM _model;
    private readonly CausalLMConfig _config;
    private readonly int _c, _h, _hkv, _d, _kvDim, _f, _v, _maxT, _chunk;
    private readonly float[] _x, _xb, _q, _k, _v2, _att, _proj, _h1, _h3, _scores, _logits, _stats1, _stats2;
    private readonly float[][] _keyCache, _valueCache; // per layer (maxT, Hkv·D)
    private readonly AttentionJob _attention;

    internal CausalLMRunState(CausalLM model)
    {
        _model = model;
        _config = model.Config;
        _c = _config.EmbedDim;
        _h = _config.Heads;
        _hkv = _config.ResolvedKvHeads;
        _d = _config.HeadDim;
        _kvDim = _hkv * _d;
        _f = _config.ResolvedHiddenDim;
        _v = _config.VocabSize;
        _maxT = _config.ContextLength;
        _chunk = Math.Min(ChunkRows, _maxT);
        _x = Pinned(_chunk * _c);
        _xb = Pinned(_chunk * _c);
        _q = Pinned(_chunk * _h * _d);
        _k = Pinned(_chunk * _kvDim);
        _v2 = Pinned(_chunk * _kvDim);
        _att = Pinned(_chunk * _h * _d);
        _proj = Pinned(_chunk * _c);
        _h1 = Pinned(_chunk * _f);
        _h3 = Pinned(_chunk * _f);
        _scores = Pinned(_chunk * _h * _maxT);
        _logits = Pinned(_v);
        _stats1 = Pinned(_chunk);
        _stats2 = Pinned(_chunk);
        _keyCache = new float[_config.Layers][];
        _valueCache = new float[_config.Layers][];
        for (int l = 0; l < _config.Layers; l++)
        {
            _keyCache[l] = Pinned(_maxT * _kvDim);
            _valueCache[l] = Pinned(_maxT * _kvDim);
        }
        _attention = new AttentionJob(this);
    }

    /// <summary>Positions already in the cache (the next token goes at this position).</summary>
    public int Position { get; private set; }

    /// <summary>The longest sequence this state can hold.</summary>
    public int ContextLength => _maxT;

    /// <summary>The logits (V) of the last processed position.</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>Forgets the sequence (the buffers are kept).</summary>
    public void Reset() => Position = 0;

    /// <summary>
    /// Appends <paramref name="tokens"/> to the sequence and returns the logits (V) after the last of them (a view
    /// into this state, overwritten by the next call).
    /// </summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("CausalLMRunState.Prefill: the prompt is empty (give at least one token, e.g. BOS).");
        if (Position + tokens.Length > _maxT)
            throw new ArgumentException($"CausalLMRunState.Prefill: {tokens.Length} prompt tokens after {Position} exceed the context length {_maxT}.");
        CheckTokens(tokens);
        for (int start = 0; start < tokens.Length; start += _chunk)
        {
            int n = Math.Min(_chunk, tokens.Length - start);
            Run(tokens.Slice(start, n), computeLogits: start + n == tokens.Length);
        }
        return _logits;
    }

    /// <summary>Appends one token and returns the logits (V) for the next position. Allocates nothing.</summary>
    public ReadOnlySpan<float> DecodeStep(int token)
    {
        if (Position >= _maxT)
            throw new InvalidOperationException($"CausalLMRunState.DecodeStep: the sequence is full ({_maxT} positions, the context length).");
        ReadOnlySpan<int> one = [token];
        CheckTokens(one);
        Run(one, computeLogits: true);
        return _logits;
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens)
            if ((uint)t >= (uint)_v)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"CausalLMRunState: token id {t} is outside the vocabulary [0, {_v}).");
    }

    // Runs n new positions through every layer; the first is at Position.
    private void Run(ReadOnlySpan<int> tokens, bool computeLogits)
    {
        int n = tokens.Length, p0 = Position, c = _c;
        var x = _x.AsSpan(0, n * c);
        var xb = _xb.AsSpan(0, n * c);
        var tok = _model.TokenEmbeddings.Weight.AsSpan();
        var pos = _model.PositionEmbeddings is { } pe ? pe.Weight.AsSpan() : default;
        for (int r = 0; r < n; r++)
        {
            var row = x.Slice(r * c, c);
            tok.Slice(tokens[r] * c, c).CopyTo(row);
            if (!pos.IsEmpty) TensorPrimitives.Add(row, pos.Slice((p0 + r) * c, c), row);
        }

        var blocks = _model.Blocks;
        for (int l = 0; l < blocks.Count; l++)
        {
            var block = blocks[l];
            var attn = block.Attention;
            Norm(block.AttentionNorm, x, xb, n);
            var q = _q.AsSpan(0, n * _h * _d);
            var k = _k.AsSpan(0, n * _kvDim);
            var v = _v2.AsSpan(0, n * _kvDim);
            Project(n, xb, attn.Wq, q, attn.Wk, k, attn.Wv, v);
            if (attn.Rope is { } rope)
            {
                rope.Rotate(q, 1, n, _h, p0);
                rope.Rotate(k, 1, n, _hkv, p0);
            }
            k.CopyTo(_keyCache[l].AsSpan(p0 * _kvDim));
            v.CopyTo(_valueCache[l].AsSpan(p0 * _kvDim));
            _attention.Layer = l;
            _attention.Start = p0;
            Threading.For(n * _h, _attention, n * _h * (p0 + n) * _d < 16_384 ? 1 : Threading.MaxThreads);
            var proj = _proj.AsSpan(0, n * c);
            Project(n, _att.AsSpan(0, n * _h * _d), attn.Wo, proj);
            TensorPrimitives.Add(x, proj, x);

            Norm(block.FfnNorm, x, xb, n);
            if (block.FeedForward is SwiGluFeedForward swiglu)
            {
                var h1 = _h1.AsSpan(0, n * _f);
                var h3 = _h3.AsSpan(0, n * _f);
                Project(n, xb, swiglu.W1, h1, swiglu.W3, h3);
                ActivationKernels.Silu(h1, h1);
                TensorPrimitives.Multiply(h1, h3, h1);
                Project(n, h1, swiglu.W2, proj);
            }
            else
            {
                var mlp = (FeedForward)block.FeedForward;
                var h1 = _h1.AsSpan(0, n * _f);
                Project(n, xb, mlp.Fc, h1);
                if (mlp.Activation == ActivationKind.GeluExact) GeluKernels.Forward(h1, h1); else ActivationKernels.GeluTanh(h1, h1);
                Project(n, h1, mlp.Proj, proj);
            }
            TensorPrimitives.Add(x, proj, x);
        }
        Position = p0 + n;
        if (!computeLogits) return;
        var last = xb.Slice((n - 1) * c, c);
        Norm(_model.FinalNorm, x.Slice((n - 1) * c, c), last, 1);
        Gemv.Multiply(_model.OutputWeight.AsSpan(), last, default, _logits, _v, c);
    }

    private void Norm(Module norm, ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        var s1 = _stats1.AsSpan(0, rows);
        if (norm is RmsNorm rms) NormKernels.RmsNorm(x, rms.Weight.AsSpan(), y, s1, rows, _c, rms.Eps);
        else
        {
            var ln = (LayerNorm)norm;
            NormKernels.LayerNorm(x, ln.Weight is null ? default : ln.Weight.AsSpan(), ln.Bias is null ? default : ln.Bias.AsSpan(),
                y, s1, _stats2.AsSpan(0, rows), rows, _c, ln.Eps);
        }
    }

    // y = x·Wᵀ + b for up to three layers sharing the input x (rows, in). One row: GEMV in one dispatch; more: GEMM.
    private static void Project(int rows, ReadOnlySpan<float> x, Linear a, Span<float> ya, Linear? b = null, Span<float> yb = default,
        Linear? c = null, Span<float> yc = default)
    {
        if (rows > 1)
        {
            Gemm(rows, x, a, ya);
            if (b is not null) Gemm(rows, x, b, yb);
            if (c is not null) Gemm(rows, x, c, yc);
            return;
        }
        fixed (float* px = x)
        fixed (float* wa = a.Weight.AsSpan(), ba = BiasOf(a), pa = ya)
        fixed (float* wb = b is null ? default : b.Weight.AsSpan(), bb = BiasOf(b), pb = yb)
        fixed (float* wc = c is null ? default : c.Weight.AsSpan(), bc = BiasOf(c), pc = yc)
        {
            Span<Gemv.Product> products = stackalloc Gemv.Product[3];
            int count = 0;
            products[count++] = new Gemv.Product(wa, px, pa, ba, a.OutFeatures, a.InFeatures);
            if (b is not null) products[count++] = new Gemv.Product(wb, px, pb, bb, b.OutFeatures, b.InFeatures);
            if (c is not null) products[count++] = new Gemv.Product(wc, px, pc, bc, c.OutFeatures, c.InFeatures);
            Gemv.MultiplyMany(products[..count]);
        }
    }

    private static Span<float> BiasOf(Linear? layer) => layer?.Bias is null ? default : layer.Bias.AsSpan();

    private static void Gemm(int rows, ReadOnlySpan<float> x, Linear layer, Span<float> y)
    {
        int n = layer.OutFeatures, k = layer.InFeatures;
        Kernels.Gemm.Multiply(false, true, rows, n, k, 1f, x, k, layer.Weight.AsSpan(), k, 0f, y, n);
        if (layer.Bias is null) return;
        var bias = layer.Bias.AsSpan();
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(y.Slice(r * n, n), bias, y.Slice(r * n, n));
    }

    private static float[] Pinned(int length) => GC.AllocateArray<float>(Math.Max(1, length), pinned: true);

    // One (row, head) per index: causal softmax attention of that query over the layer's cache.
    private sealed class AttentionJob(CausalLMRunState s) : ParallelJob
    {
        public int Layer;
        public int Start;

        public override void Run(int index)
        {
            int r = index / s._h, hh = index % s._h, d = s._d, kvDim = s._kvDim;
            int j = hh / (s._h / s._hkv), len = Start + r + 1;
            var simd = GemmOptions.Default.ResolvedSimd;
            float scale = 1f / MathF.Sqrt(d);
            var scores = s._scores.AsSpan(index * s._maxT, len);
            var output = s._att.AsSpan((r * s._h + hh) * d, d);
            fixed (float* q = &s._q[(r * s._h + hh) * d])
            fixed (float* keys = s._keyCache[Layer])
            {
                for (int t = 0; t < len; t++) scores[t] = Gemv.Dot(q, keys + t * kvDim + j * d, d, simd) * scale;
            }
            TensorPrimitives.SoftMax(scores, scores);
            output.Clear();
            var values = s._valueCache[Layer].AsSpan();
            for (int t = 0; t < len; t++)
                TensorPrimitives.MultiplyAdd(values.Slice(t * kvDim + j * d, d), scores[t], output, output);
        }
    }
}
