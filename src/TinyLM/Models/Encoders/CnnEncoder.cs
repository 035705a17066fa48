using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Models.Encoders;

/// <summary>
/// Kim (2014): one Conv1d per kernel width, ReLU, max over time, concatenated. Each convolution pads
/// by width − 1 so a text shorter than the kernel still yields features.
/// </summary>
public sealed class CnnEncoder : TextEncoder
{
    private readonly Conv1d[] _convolutions;

    public CnnEncoder(TextClassifierConfig config, Rng rng)
    {
        _convolutions = new Conv1d[config.KernelWidths.Length];
        for (int i = 0; i < _convolutions.Length; i++)
        {
            int width = config.KernelWidths[i];
            _convolutions[i] = RegisterModule($"conv{i}", new Conv1d(config.EmbedDim, config.Hidden, width, rng.Split(), padding: width - 1));
        }
        OutputSize = config.Hidden * _convolutions.Length;
    }

    public override int OutputSize { get; }

    /// <summary>One convolution per kernel width, in the order their features are concatenated.</summary>
    public IReadOnlyList<Conv1d> Convolutions => _convolutions;

    public override Tensor Forward(Tensor embedded, int[] lengths)
    {
        var pooled = new Tensor[_convolutions.Length];
        int t = embedded.Dim(1);
        for (int i = 0; i < pooled.Length; i++)
        {
            var conv = _convolutions[i];
            var features = conv.Forward(embedded).Relu();                             // (B, T + w − 1, F)
            pooled[i] = Pooling.MaxOverTime(features, conv.OutputLengths(lengths, t)); // (B, F)
        }
        return pooled.Length == 1 ? pooled[0] : Tensor.Concat(pooled, 1);           // (B, F · widths)
    }
}
