using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Models.Encoders;

/// <summary>
/// fastText's encoder: the mean of the embeddings of every word (and hashed word bigram) in the text.
/// The ids already hold the bigram buckets (see <see cref="ClassifierInputs"/>); this only averages.
/// </summary>
public sealed class BagEncoder(int embedDim) : TextEncoder
{
    public override int OutputSize { get; } = embedDim;

    public override Tensor Forward(Tensor embedded, int[] lengths) => Pooling.MeanOverTime(embedded, lengths); // (B, E)
}
