using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// Bidirectional GRU encoder + GRU decoder with attention. The decoder's initial state of layer l is
/// tanh(bridge([h_fwd; h_bwd])) of encoder layer l; the memory is the encoder output projected to the decoder width.
/// <see cref="RnnAttention.Dot"/> (Luong): at step t the GRU reads [embedding of y_{t−1}; h̃_{t−1}] (input feeding),
/// its output h_t attends to the memory by dot product and h̃_t = tanh(W_c [h_t; context_t]) feeds the output layer
/// and the next step. Without <see cref="Seq2SeqConfig.InputFeeding"/> the GRU reads only the embeddings and runs over
/// the whole target at once (one fused op), which trains faster per step but has to count positions in its state
/// alone: on position-driven tasks it sits at the unigram loss for a long time before the attention aligns.
/// <see cref="RnnAttention.Additive"/> (Bahdanau): each step scores vᵀ tanh(W_q h + W_k m) with the previous top state
/// and feeds the context into the GRU with the embedding; it finishes with tanh(W_c [h; context]) → output layer.
/// </summary>
public sealed class RnnSeq2Seq : Seq2SeqModel
{
    private readonly Embedding _sourceEmbedding;
    private readonly Embedding _targetEmbedding;
    private readonly Gru _encoder;
    private readonly Gru _decoder;
    private readonly Linear _bridge;
    private readonly Linear _memoryProjection;
    private readonly Linear? _attentionQuery;
    private readonly Linear? _attentionKey;
    private readonly Linear? _attentionScore;
    private readonly Linear _combine;
    private readonly Linear _output;
    private readonly Dropout _dropout;
    private readonly bool _inputFeeding;

    internal RnnSeq2Seq(Seq2SeqConfig config, ByteBpeTokenizer sourceTokenizer, ByteBpeTokenizer targetTokenizer)
        : base(config, sourceTokenizer, targetTokenizer)
    {
        var rng = new Rng(config.Seed);
        int e = config.EmbedDim, h = config.Hidden;
        bool additive = config.Attention == RnnAttention.Additive;
        _targetEmbedding = RegisterModule("tgt_embed", new Embedding(targetTokenizer.VocabSize, e, rng, PadId));
        _sourceEmbedding = config.SharedVocab
            ? _targetEmbedding
            : RegisterModule("src_embed", new Embedding(sourceTokenizer.VocabSize, e, rng, SourcePadId));
        _encoder = RegisterModule("encoder", new Gru(e, h, rng, config.Layers, bidirectional: true));
        _bridge = RegisterModule("bridge", new Linear(2 * h, h, rng));
        _memoryProjection = RegisterModule("memory_proj", new Linear(2 * h, h, rng));
        _inputFeeding = !additive && config.InputFeeding;
        _decoder = RegisterModule("decoder", new Gru(additive || _inputFeeding ? e + h : e, h, rng, config.Layers));
        if (additive)
        {
            _attentionQuery = RegisterModule("attn_q", new Linear(h, h, rng, bias: false));
            _attentionKey = RegisterModule("attn_k", new Linear(h, h, rng));
            _attentionScore = RegisterModule("attn_v", new Linear(h, 1, rng, bias: false));
        }
        _combine = RegisterModule("combine", new Linear(2 * h, h, rng));
        _output = RegisterModule("out", new Linear(h, targetTokenizer.VocabSize, rng));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng));
    }

    /// <inheritdoc/>
    public override Tensor Logits(PaddedBatch source, PaddedBatch targetInput)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(targetInput);
        var enc = Encode(source);
        var emb = _dropout.Forward(_targetEmbedding.Forward(targetInput.Ids, targetInput.B, targetInput.T)); // (B, T, E)
        if (_inputFeeding)
        {
            var attentional = new Tensor[targetInput.T];
            var hiddenState = enc.Hidden;
            var feed = Tensor.Zeros(targetInput.B, 1, Config.Hidden); // (B, 1, H): nothing attended before the first step
            for (int t = 0; t < targetInput.T; t++)
            {
                (attentional[t], hiddenState) = FeedingStep(emb.Narrow(1, t, 1), feed, hiddenState, enc);
                feed = attentional[t];
            }
            return _output.Forward(_dropout.Forward(Tensor.Concat(attentional, 1))); // (B, T, V)
        }
        if (_attentionQuery is null)
        {
            var dec = _decoder.Forward(emb, targetInput.Lengths, enc.Hidden).Output; // (B, T, H)
            return Output(dec, Attend(dec, enc));                                  // (B, T, V)
        }
        var outputs = new Tensor[targetInput.T];
        var contexts = new Tensor[targetInput.T];
        var hidden = enc.Hidden;
        for (int t = 0; t < targetInput.T; t++)
            (outputs[t], contexts[t], hidden) = AdditiveStep(emb.Narrow(1, t, 1), hidden, enc);
        return Output(Tensor.Concat(outputs, 1), Tensor.Concat(contexts, 1));      // (B, T, V)
    }

    /// <inheritdoc/>
    public override Seq2SeqDecoderState Start(PaddedBatch source, int repeat, int maxSteps)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var _ = Tensor.NoGrad();
        var enc = Encode(Repeat(source, repeat));
        int rows = enc.Memory.Dim(0);
        return new State { Rows = rows, Encoded = enc, Hidden = enc.Hidden, Feed = _inputFeeding ? Tensor.Zeros(rows, 1, Config.Hidden) : null };
    }

    /// <inheritdoc/>
    public override Tensor Step(Seq2SeqDecoderState state, int[] tokens)
    {
        var s = (State)state;
        if (tokens.Length != s.Rows) throw new ArgumentException($"RnnSeq2Seq.Step: {tokens.Length} tokens for {s.Rows} rows.");
        using var _ = Tensor.NoGrad();
        var emb = _targetEmbedding.Forward(tokens, s.Rows, 1); // (R, 1, E)
        Tensor logits;
        if (_inputFeeding)
        {
            (var attentional, s.Hidden) = FeedingStep(emb, s.Feed!, s.Hidden, s.Encoded);
            s.Feed = attentional;
            logits = _output.Forward(attentional);
        }
        else if (_attentionQuery is null)
        {
            var r = _decoder.Forward(emb, null, s.Hidden);
            s.Hidden = r.HiddenState;
            logits = Output(r.Output, Attend(r.Output, s.Encoded));
        }
        else
        {
            (var output, var context, s.Hidden) = AdditiveStep(emb, s.Hidden, s.Encoded);
            logits = Output(output, context);
        }
        s.Steps++;
        return logits.Reshape(s.Rows, -1); // (R, V)
    }

    /// <inheritdoc/>
    public override void SelectRows(Seq2SeqDecoderState state, int[] rows)
    {
        var s = (State)state;
        using var _ = Tensor.NoGrad();
        var index = new IntTensor(rows, rows.Length);
        s.Hidden = s.Hidden.IndexSelect(1, index);           // (L, R, H)
        if (s.Feed is not null) s.Feed = s.Feed.IndexSelect(0, index); // (R, 1, H)
    }

    private Encoded Encode(PaddedBatch source)
    {
        int b = source.B, s = source.T, l = Config.Layers, h = Config.Hidden;
        var emb = _dropout.Forward(_sourceEmbedding.Forward(source.Ids, b, s)); // (B, S, E)
        var r = _encoder.Forward(emb, source.Lengths);
        var memory = _memoryProjection.Forward(_dropout.Forward(r.Output));       // (B, S, H)
        // h_n is (L·2, B, H) with the directions of a layer adjacent: → (L, B, 2H).
        var last = r.HiddenState.Reshape(l, 2, b, h).Permute(0, 2, 1, 3).Reshape(l, b, 2 * h);
        var hidden = _bridge.Forward(last).Tanh();                                 // (L, B, H)
        var mask = CrossAttention.MaskBias(source.Lengths, b, s)?.Reshape(b, 1, s); // (B, 1, S)
        var keys = _attentionKey?.Forward(memory);                                 // (B, S, H)
        return new Encoded(memory, keys, mask, hidden);
    }

    // Luong dot attention of queries (B, T, H) on the memory → contexts (B, T, H).
    private static Tensor Attend(Tensor queries, Encoded enc)
    {
        var scores = queries.MatMul(enc.Memory.Transpose(1, 2)); // (B, T, S)
        if (enc.Mask is not null) scores = scores.Add(enc.Mask);
        return scores.Softmax(-1).MatMul(enc.Memory);             // (B, T, H)
    }

    // One input-feeding Luong step: GRU over [embedding; previous h̃], attention from its output, h̃ = tanh(W_c [h; c]).
    private (Tensor Attentional, Tensor Hidden) FeedingStep(Tensor emb, Tensor feed, Tensor hidden, Encoded enc)
    {
        var r = _decoder.Forward(Tensor.Concat([emb, _dropout.Forward(feed)], 2), null, hidden); // (B, 1, H)
        var context = Attend(r.Output, enc);                                                    // (B, 1, H)
        return (_combine.Forward(Tensor.Concat([r.Output, context], 2)).Tanh(), r.HiddenState); // (B, 1, H)
    }

    // One Bahdanau step: attention from the previous top state, then the GRU over [embedding; context].
    private (Tensor Output, Tensor Context, Tensor Hidden) AdditiveStep(Tensor emb, Tensor hidden, Encoded enc)
    {
        int b = emb.Dim(0), s = enc.Memory.Dim(1);
        var top = hidden.Select(0, Config.Layers - 1);                               // (B, H)
        var q = _attentionQuery!.Forward(top).Unsqueeze(1);                          // (B, 1, H)
        var scores = _attentionScore!.Forward(enc.Keys!.Add(q).Tanh()).Reshape(b, 1, s); // (B, 1, S)
        if (enc.Mask is not null) scores = scores.Add(enc.Mask);
        var context = scores.Softmax(-1).MatMul(enc.Memory);                         // (B, 1, H)
        var r = _decoder.Forward(Tensor.Concat([emb, context], 2), null, hidden);    // (B, 1, H)
        return (r.Output, context, r.HiddenState);
    }

    private Tensor Output(Tensor dec, Tensor context)
    {
        var combined = _combine.Forward(Tensor.Concat([dec, context], 2)).Tanh(); // (B, T, H)
        return _output.Forward(_dropout.Forward(combined));                         // (B, T, V)
    }

    private sealed record Encoded(Tensor Memory, Tensor? Keys, Tensor? Mask, Tensor Hidden);

    private sealed class State : Seq2SeqDecoderState
    {
        public required Encoded Encoded { get; init; }
        public required Tensor Hidden { get; set; }
        public Tensor? Feed { get; set; }
    }
}
