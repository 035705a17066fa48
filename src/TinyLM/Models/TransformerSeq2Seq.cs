using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// Pre-LN Transformer encoder–decoder: embeddings scaled by √C plus sinusoidal positions; L encoder blocks with a
/// source padding mask and a final norm; L decoder blocks (causal self-attention, cross-attention over the encoder
/// memory) and a final norm; the output layer is tied to the target embedding. With a shared vocabulary one table
/// serves source, target and output. Decoding projects the memory's keys/values once per layer and keeps a KV cache
/// per decoder layer.
/// </summary>
public sealed class TransformerSeq2Seq : Seq2SeqModel
{
    private readonly Embedding _sourceEmbedding;
    private readonly Embedding _targetEmbedding;
    private readonly TransformerEncoderBlock[] _encoder;
    private readonly TransformerDecoderBlock[] _decoder;
    private readonly LayerNorm _encoderNorm;
    private readonly LayerNorm _decoderNorm;
    private readonly Dropout _dropout;
    private readonly Tensor _positions;
    private readonly float _scale;
    private float[] _rowScratch = [];

    internal TransformerSeq2Seq(Seq2SeqConfig config, ByteBpeTokenizer sourceTokenizer, ByteBpeTokenizer targetTokenizer)
        : base(config, sourceTokenizer, targetTokenizer)
    {
        var rng = new Rng(config.Seed);
        int c = config.EmbedDim;
        _scale = MathF.Sqrt(c);
        _targetEmbedding = RegisterModule("tgt_embed", new Embedding(targetTokenizer.VocabSize, c, rng, PadId, std: 1f / _scale));
        _sourceEmbedding = config.SharedVocab
            ? _targetEmbedding
            : RegisterModule("src_embed", new Embedding(sourceTokenizer.VocabSize, c, rng, SourcePadId, std: 1f / _scale));
        _encoder = new TransformerEncoderBlock[config.Layers];
        _decoder = new TransformerDecoderBlock[config.Layers];
        for (int i = 0; i < config.Layers; i++)
            _encoder[i] = RegisterModule($"encoder_{i}", new TransformerEncoderBlock(c, config.Heads, rng, config.Hidden, config.Dropout));
        _encoderNorm = RegisterModule("encoder_norm", new LayerNorm(c));
        for (int i = 0; i < config.Layers; i++)
            _decoder[i] = RegisterModule($"decoder_{i}", new TransformerDecoderBlock(c, config.Heads, rng, config.Hidden, config.Dropout));
        _decoderNorm = RegisterModule("decoder_norm", new LayerNorm(c));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng));
        _positions = SinusoidalTable(Math.Max(config.MaxSourceLength, config.MaxTargetLength) + 2, c).Keep();
    }

    /// <inheritdoc/>
    public override Tensor Logits(PaddedBatch source, PaddedBatch targetInput)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(targetInput);
        var memory = Encode(source);                                              // (B, S, C)
        var x = Embed(_targetEmbedding, targetInput.Ids, targetInput.B, targetInput.T, 0); // (B, T, C)
        foreach (var block in _decoder) x = block.Forward(x, memory, source.Lengths);      // (B, T, C)
        return Project(_decoderNorm.Forward(x));                                 // (B, T, V)
    }

    /// <inheritdoc/>
    public override Seq2SeqDecoderState Start(PaddedBatch source, int repeat, int maxSteps)
    {
        ArgumentNullException.ThrowIfNull(source);
        var rows = Repeat(source, repeat);
        using var _ = Tensor.NoGrad();
        var memory = Encode(rows); // (R, S, C)
        var kv = new MemoryKv[_decoder.Length];
        var caches = new KvCache[_decoder.Length];
        for (int i = 0; i < _decoder.Length; i++)
        {
            kv[i] = _decoder[i].CrossAttention.ProjectMemory(memory, rows.Lengths);
            caches[i] = _decoder[i].CreateCache(rows.B, Math.Min(maxSteps, Config.MaxTargetLength + 1));
        }
        return new State { Rows = rows.B, Memory = kv, Caches = caches };
    }

    /// <inheritdoc/>
    public override Tensor Step(Seq2SeqDecoderState state, int[] tokens)
    {
        var s = (State)state;
        if (tokens.Length != s.Rows) throw new ArgumentException($"TransformerSeq2Seq.Step: {tokens.Length} tokens for {s.Rows} rows.");
        if (s.Steps >= s.Caches[0].MaxLength)
            throw new InvalidOperationException($"TransformerSeq2Seq.Step: decoding past {s.Caches[0].MaxLength} positions.");
        using var _ = Tensor.NoGrad();
        var x = Embed(_targetEmbedding, tokens, s.Rows, 1, s.Steps); // (R, 1, C)
        for (int i = 0; i < _decoder.Length; i++) x = _decoder[i].ForwardCached(x, s.Caches[i], s.Memory[i]);
        s.Steps++;
        return Project(_decoderNorm.Forward(x)).Reshape(s.Rows, -1);  // (R, V)
    }

    /// <inheritdoc/>
    public override void SelectRows(Seq2SeqDecoderState state, int[] rows)
    {
        // Beams of one source share its memory, so only the self-attention caches move.
        var s = (State)state;
        foreach (var cache in s.Caches) cache.SelectRows(rows, ref _rowScratch);
    }

    private Tensor Encode(PaddedBatch source)
    {
        var x = Embed(_sourceEmbedding, source.Ids, source.B, source.T, 0); // (B, S, C)
        foreach (var block in _encoder) x = block.Forward(x, source.Lengths);
        return _encoderNorm.Forward(x);                                        // (B, S, C)
    }

    private Tensor Embed(Embedding table, int[] ids, int b, int t, int start)
    {
        if (start + t > _positions.Dim(0))
            throw new ArgumentException($"TransformerSeq2Seq: {start + t} positions exceed the limit of {_positions.Dim(0)}.");
        var x = table.Forward(ids, b, t).Mul(_scale);            // (B, T, C)
        x = x.Add(_positions.Narrow(0, start, t));               // (B, T, C)
        return _dropout.Forward(x);
    }

    private Tensor Project(Tensor h) => h.MatMul(_targetEmbedding.Weight.T); // (…, V)

    private sealed class State : Seq2SeqDecoderState
    {
        public required MemoryKv[] Memory { get; init; }
        public required KvCache[] Caches { get; init; }
    }
}
