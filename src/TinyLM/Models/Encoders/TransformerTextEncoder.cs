using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Models.Encoders;

/// <summary>
/// Pre-LN Transformer encoder over learned positions, padding-masked, with a final LayerNorm and
/// mean (or max) pooling over valid positions. <see cref="PoolingKind.Last"/> pools the first
/// position, which plays the [CLS] role since every position attends to the whole text.
/// </summary>
public sealed class TransformerTextEncoder : TextEncoder
{
    private readonly Tensor _positions;
    private readonly TransformerEncoderBlock[] _blocks;
    private readonly LayerNorm _finalNorm;
    private readonly PoolingKind _pooling;

    public TransformerTextEncoder(TextClassifierConfig config, Rng rng)
    {
        _pooling = config.Pooling;
        _positions = Tensor.Parameter(config.MaxLength, config.EmbedDim);
        rng.Normal(_positions.AsSpan(), 0f, 0.02f);
        RegisterParameter("position_embedding", _positions);
        _blocks = new TransformerEncoderBlock[config.Layers];
        for (int i = 0; i < _blocks.Length; i++)
            _blocks[i] = RegisterModule($"block{i}", new TransformerEncoderBlock(config.EmbedDim, config.Heads, rng.Split(),
                hiddenDim: config.ResolvedMlpHidden, dropout: config.Dropout, headDim: config.HeadDim));
        _finalNorm = RegisterModule("ln_f", new LayerNorm(config.EmbedDim));
        OutputSize = config.EmbedDim;
    }

    public override int OutputSize { get; }

    /// <summary>Learned position embeddings (MaxLength, C).</summary>
    public Tensor Positions => _positions;
    /// <summary>The blocks, first to last.</summary>
    public IReadOnlyList<TransformerEncoderBlock> Blocks => _blocks;
    /// <summary>The norm after the last block.</summary>
    public LayerNorm FinalNorm => _finalNorm;
    /// <summary>How positions become one vector (Last: the first position).</summary>
    public PoolingKind PoolingMode => _pooling;

    public override Tensor Forward(Tensor embedded, int[] lengths)
    {
        int t = embedded.Dim(1);
        var x = embedded.Add(_positions.Narrow(0, 0, t)); // (B, T, C)
        foreach (var block in _blocks) x = block.Forward(x, lengths);
        x = _finalNorm.Forward(x);                         // (B, T, C)
        return _pooling switch
        {
            PoolingKind.Mean => Pooling.MeanOverTime(x, lengths),
            PoolingKind.Max => Pooling.MaxOverTime(x, lengths),
            _ => x.Select(1, 0),                          // (B, C): the first position
        };
    }
}
