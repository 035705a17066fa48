using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Multi-layer, optionally bidirectional GRU over batch-first inputs, PyTorch-compatible parameters
/// (gate order r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))) and per-sequence lengths.
/// <see cref="RecurrentOutput.CellState"/> is always null.
/// </summary>
public sealed class Gru(int inputSize, int hiddenSize, Rng rng, int numLayers = 1, bool bidirectional = false, bool bias = true)
    : RecurrentModule(lstm: false, inputSize, hiddenSize, numLayers, bidirectional, bias, rng)
{
    /// <summary>
    /// Runs every layer over <paramref name="input"/> (B, T, I); <paramref name="lengths"/> (B) defaults
    /// to T for every sequence, <paramref name="h0"/> (L·D, B, H) to zeros.
    /// </summary>
    public RecurrentOutput Forward(Tensor input, int[]? lengths = null, Tensor? h0 = null) => Run(input, lengths, h0, null);
}
