using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Multi-layer, optionally bidirectional LSTM over batch-first inputs, PyTorch-compatible parameters
/// (gate order i, f, g, o) and per-sequence lengths: padded positions neither change the state nor
/// produce output, so a padded batch matches each sequence run alone.
/// <code>
/// var lstm = new Lstm(inputSize: 64, hiddenSize: 128, rng, bidirectional: true);
/// var (output, hN, cN) = lstm.Forward(x, lengths);   // (B, T, 256), (2, B, 128), (2, B, 128)
/// </code>
/// </summary>
public sealed class Lstm(int inputSize, int hiddenSize, Rng rng, int numLayers = 1, bool bidirectional = false, bool bias = true)
    : RecurrentModule(lstm: true, inputSize, hiddenSize, numLayers, bidirectional, bias, rng)
{
    /// <summary>
    /// Runs every layer over <paramref name="input"/> (B, T, I). <paramref name="lengths"/> (B), each in
    /// [0, T], defaults to T for every sequence; <paramref name="h0"/> and <paramref name="c0"/>
    /// (L·D, B, H) default to zeros.
    /// </summary>
    public RecurrentOutput Forward(Tensor input, int[]? lengths = null, Tensor? h0 = null, Tensor? c0 = null) =>
        Run(input, lengths, h0, c0);
}
