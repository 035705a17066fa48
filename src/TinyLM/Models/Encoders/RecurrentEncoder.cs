using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Models.Encoders;

/// <summary>Bidirectional stacked LSTM or GRU (fused kernels), pooled to one vector per text.</summary>
public sealed class RecurrentEncoder : TextEncoder
{
    private readonly Lstm? _lstm;
    private readonly Gru? _gru;
    private readonly PoolingKind _pooling;
    private readonly int _hidden;
    private readonly int _layers;

    public RecurrentEncoder(TextClassifierConfig config, Rng rng)
    {
        _pooling = config.Pooling;
        _hidden = config.Hidden;
        _layers = config.Layers;
        if (config.Encoder == EncoderKind.BiLstm)
            _lstm = RegisterModule("rnn", new Lstm(config.EmbedDim, config.Hidden, rng, config.Layers, bidirectional: true));
        else
            _gru = RegisterModule("rnn", new Gru(config.EmbedDim, config.Hidden, rng, config.Layers, bidirectional: true));
    }

    public override int OutputSize => 2 * _hidden;

    /// <summary>The bidirectional LSTM or GRU (exporters read its weights).</summary>
    public RecurrentModule Rnn => (RecurrentModule?)_lstm ?? _gru!;

    /// <summary>Whether <see cref="Rnn"/> is an LSTM (else a GRU).</summary>
    public bool IsLstm => _lstm is not null;

    /// <summary>How the per-step outputs become one vector.</summary>
    public PoolingKind PoolingMode => _pooling;

    public override Tensor Forward(Tensor embedded, int[] lengths)
    {
        var result = _lstm is not null ? _lstm.Forward(embedded, lengths) : _gru!.Forward(embedded, lengths);
        return _pooling switch
        {
            // Final states of the last layer: forward direction after the last valid token, backward after the first.
            PoolingKind.Last => result.HiddenState.Narrow(0, 2 * (_layers - 1), 2) // (2, B, H)
                .Permute(1, 0, 2).Reshape(embedded.Dim(0), 2 * _hidden),           // (B, 2H)
            PoolingKind.Max => Pooling.MaxOverTime(result.Output, lengths),         // (B, 2H)
            PoolingKind.Mean => Pooling.MeanOverTime(result.Output, lengths),       // (B, 2H)
            _ => throw new ArgumentOutOfRangeException(nameof(lengths)),
        };
    }
}
