using System.Numerics.Tensors;
using TinyLM.Kernels;
using TinyLM.Nn;

namespace TinyLM.Models;

/// <summary>
/// The inference state of one sequence for a <see cref="CausalLM"/> (llama2.c's RunState): a KV cache for every
/// layer and every activation buffer, allocated once (pinned) so that <see cref="DecodeStep"/> allocates nothing.
/// A decode step is matrix–vector work (<see cref="Gemv"/>, threaded over output rows; q/k/v and the two SwiGLU
/// input projections share one dispatch); <see cref="Prefill"/> runs prompt chunks as GEMMs. Attention is computed
/// per (position, head) over the cache (<see cref="CachedAttention"/>), threaded over heads. Creating a state asks for
/// huge pages under the weight matrices it streams (<see cref="HugePages"/>; a one-time cost per model). Results
/// equal the rows of <see cref="CausalLM.Forward"/> in evaluation mode (up to float rounding), at any thread count
/// bit for bit.
/// <para>When a layer holds a quantized weight format (<see cref="Module.WeightFormatOf"/>), that matrix runs instead of the float
/// weights: Q8_0/Q4_0 blocks through <see cref="BlockGemv"/> (activations quantized to Q8_0 once per input and
/// shared by the projections that read it), any other <see cref="IWeightMatrix"/> through its own Multiply.</para>
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
    private readonly LayerMatrices[] _layers;
    private readonly Projection _output;
    private readonly BlockActivations _activations = new();
    private float[] _rowLogits = [];

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
        static Projection P(Linear layer) => new(layer, layer.Weight, layer.WeightFormatOf("weight"));
        _layers = new LayerMatrices[_config.Layers];
        for (int l = 0; l < _config.Layers; l++)
        {
            var block = model.Blocks[l];
            var attn = block.Attention;
            _layers[l] = block.FeedForward is SwiGluFeedForward swiglu
                ? new LayerMatrices(P(attn.Wq), P(attn.Wk), P(attn.Wv), P(attn.Wo), P(swiglu.W1), P(swiglu.W2), P(swiglu.W3))
                : new LayerMatrices(P(attn.Wq), P(attn.Wk), P(attn.Wv), P(attn.Wo), P(((FeedForward)block.FeedForward).Fc),
                    P(((FeedForward)block.FeedForward).Proj), null);
        }
        _output = model.Output is { } output ? P(output) : new Projection(null, model.OutputWeight, model.TokenEmbeddings.WeightFormatOf("weight"));
        AdviseHugePages();
    }

    // Every token streams every weight matrix: ask for huge pages under them (a hint; see HugePages).
    private void AdviseHugePages()
    {
        if (!HugePages.IsAvailable) return;
        var buffers = new List<(nint, long)>();
        void Add<T>(Span<T> span) where T : unmanaged
        {
            if (!span.IsEmpty)
                fixed (T* p = span) buffers.Add(((nint)p, (long)span.Length * sizeof(T)));
        }
        void AddProjection(Projection? p)
        {
            if (p is null) return;
            if (p.Block is { } block)
            {
                Add(block.Data.AsSpan());
                long scaleBytes = (long)block.Rows * (block.Cols / BlockQuant.BlockSize) * sizeof(float);
                buffers.Add(((nint)block.ScalesOf(0), scaleBytes));
                buffers.Add(((nint)block.MinsOf(0), scaleBytes));
            }
            else if (p.Matrix is null) Add(p.Weight);
        }
        foreach (var m in _layers)
        {
            AddProjection(m.Q);
            AddProjection(m.K);
            AddProjection(m.V);
            AddProjection(m.O);
            AddProjection(m.In);
            AddProjection(m.Up);
            AddProjection(m.Out);
        }
        AddProjection(_output);
        HugePages.Advise(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffers));
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

    /// <summary>
    /// Starts a new sequence with <paramref name="tokens"/> and returns Σ −log p(tokens[i+1] | tokens[..i]) over its
    /// positions (natural log): the language-model loss of the sequence, computed on the inference path (quantized
    /// matrices included). At most context length + 1 tokens.
    /// </summary>
    public double NegativeLogLikelihood(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length < 2) throw new ArgumentException($"CausalLMRunState.NegativeLogLikelihood: need at least 2 tokens, got {tokens.Length}.");
        if (tokens.Length - 1 > _maxT)
            throw new ArgumentException($"CausalLMRunState.NegativeLogLikelihood: {tokens.Length} tokens predict {tokens.Length - 1} positions, more than the context length {_maxT}.");
        CheckTokens(tokens);
        Reset();
        if (_rowLogits.Length < _chunk * _v) _rowLogits = Pinned(_chunk * _v);
        double total = 0;
        for (int start = 0; start < tokens.Length - 1; start += _chunk)
        {
            int n = Math.Min(_chunk, tokens.Length - 1 - start);
            Run(tokens.Slice(start, n), computeLogits: false, allRows: true);
            for (int r = 0; r < n; r++)
            {
                var row = _rowLogits.AsSpan(r * _v, _v);
                float max = TensorPrimitives.Max(row);
                double sum = 0;
                foreach (float z in row) sum += Math.Exp(z - max);
                total += Math.Log(sum) + max - row[tokens[start + r + 1]];
            }
        }
        return total;
    }

    // Runs n new positions through every layer; the first is at Position. Logits: of the last row, or (allRows) of
    // every row into _rowLogits.
    private void Run(ReadOnlySpan<int> tokens, bool computeLogits, bool allRows = false)
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
            var m = _layers[l];
            Norm(block.AttentionNorm, x, xb, n);
            var q = _q.AsSpan(0, n * _h * _d);
            var k = _k.AsSpan(0, n * _kvDim);
            var v = _v2.AsSpan(0, n * _kvDim);
            Project(n, xb, m.Q, q, m.K, k, m.V, v);
            if (block.Attention.Rope is { } rope)
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
            Project(n, _att.AsSpan(0, n * _h * _d), m.O, proj);
            TensorPrimitives.Add(x, proj, x);

            Norm(block.FfnNorm, x, xb, n);
            var h1 = _h1.AsSpan(0, n * _f);
            if (m.Up is { } up)
            {
                var h3 = _h3.AsSpan(0, n * _f);
                Project(n, xb, m.In, h1, up, h3);
                ActivationKernels.Silu(h1, h1);
                TensorPrimitives.Multiply(h1, h3, h1);
            }
            else
            {
                Project(n, xb, m.In, h1);
                if (((FeedForward)block.FeedForward).Activation == ActivationKind.GeluExact) GeluKernels.Forward(h1, h1); else ActivationKernels.GeluTanh(h1, h1);
            }
            Project(n, h1, m.Out, proj);
            TensorPrimitives.Add(x, proj, x);
        }
        Position = p0 + n;
        if (allRows)
        {
            Norm(_model.FinalNorm, x, xb, n);
            Project(n, xb, _output, _rowLogits.AsSpan(0, n * _v));
            return;
        }
        if (!computeLogits) return;
        var last = xb.Slice((n - 1) * c, c);
        Norm(_model.FinalNorm, x.Slice((n - 1) * c, c), last, 1);
        Project(1, last, _output, _logits);
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

    // y = x·Wᵀ + b for up to three projections sharing the input x (rows, in). All block-quantized: the input is
    // quantized once and every product runs in one dispatch. All float32: one row is one GEMV dispatch, more rows GEMMs.
    // A mix runs each projection on its own.
    private void Project(int rows, ReadOnlySpan<float> x, Projection a, Span<float> ya, Projection? b = null, Span<float> yb = default,
        Projection? c = null, Span<float> yc = default)
    {
        if (a.Block is not null && (b is null || b.Block is not null) && (c is null || c.Block is not null))
        {
            _activations.Quantize(rows, x, a.Block.Cols);
            fixed (float* ba = a.Bias, pa = ya, bb = b is null ? default : b.Bias, pb = yb, bc = c is null ? default : c.Bias, pc = yc)
            {
                Span<BlockProduct> products = [new BlockProduct(a.Block, ba, pa), default, default];
                int count = 1;
                if (b is not null) products[count++] = new BlockProduct(b.Block!, bb, pb);
                if (c is not null) products[count++] = new BlockProduct(c.Block!, bc, pc);
                BlockGemv.MultiplyMany(_activations, products[..count]);
            }
            return;
        }
        if (rows > 1 || a.Matrix is not null || b?.Matrix is not null || c?.Matrix is not null)
        {
            a.Multiply(rows, x, ya);
            b?.Multiply(rows, x, yb);
            c?.Multiply(rows, x, yc);
            return;
        }
        fixed (float* px = x)
        fixed (float* wa = a.Weight, ba = a.Bias, pa = ya)
        fixed (float* wb = b is null ? default : b.Weight, bb = b is null ? default : b.Bias, pb = yb)
        fixed (float* wc = c is null ? default : c.Weight, bc = c is null ? default : c.Bias, pc = yc)
        {
            Span<Gemv.Product> products = stackalloc Gemv.Product[3];
            int count = 0;
            products[count++] = new Gemv.Product(wa, px, pa, ba, a.Rows, a.Cols);
            if (b is not null) products[count++] = new Gemv.Product(wb, px, pb, bb, b.Rows, b.Cols);
            if (c is not null) products[count++] = new Gemv.Product(wc, px, pc, bc, c.Rows, c.Cols);
            Gemv.MultiplyMany(products[..count]);
        }
    }

    // One weight matrix of the network: its float32 layer (null for a tied output) and, when quantized, the matrix that runs.
    private sealed class Projection(Linear? layer, Tensors.Tensor weight, IWeightMatrix? matrix)
    {
        public IWeightMatrix? Matrix { get; } = matrix;
        public BlockMatrix? Block { get; } = matrix as BlockMatrix;
        public int Rows { get; } = weight.Dim(0);
        public int Cols { get; } = weight.Dim(1);
        public Span<float> Weight => weight.AsSpan();
        public Span<float> Bias => layer?.Bias is null ? default : layer.Bias.AsSpan();

        public void Multiply(int rows, ReadOnlySpan<float> x, Span<float> y)
        {
            if (Matrix is not null)
            {
                Matrix.Multiply(rows, x, Bias, y);
                return;
            }
            var bias = Bias;
            if (rows == 1)
            {
                Gemv.Multiply(Weight, x, bias, y, Rows, Cols);
                return;
            }
            Gemm.Multiply(false, true, rows, Rows, Cols, 1f, x, Cols, Weight, Cols, 0f, y, Rows);
            if (bias.IsEmpty) return;
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(y.Slice(r * Rows, Rows), bias, y.Slice(r * Rows, Rows));
        }
    }

    // The projections of one decoder block; Up is null for a GELU MLP (In = c_fc, Out = c_proj).
    private sealed record LayerMatrices(Projection Q, Projection K, Projection V, Projection O, Projection In, Projection Out, Projection? Up);

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
            fixed (float* q = &s._q[(r * s._h + hh) * d])
            fixed (float* keys = s._keyCache[Layer], values = s._valueCache[Layer], output = &s._att[(r * s._h + hh) * d])
                CachedAttention.Head(q, keys + j * d, values + j * d, kvDim, len, d, 1f / MathF.Sqrt(d), s._scores.AsSpan(index * s._maxT, len), output);
        }
    }
}
