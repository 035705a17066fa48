using TinyLM.Tensors;

namespace TinyLM.Nn;

/// <summary>
/// Lookup table ids (any shape S) → (S…, D). Parameter <c>weight</c> (V, D), initialised N(0, 1) like PyTorch.
/// With a padding index, that row starts at zero and never receives a gradient (the sparse Embedding op skips
/// it), so it stays zero under SGD/Adam; decoupled weight decay keeps a zero row at zero too.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>(V, D).</summary>
    public Tensor Weight { get; }

    /// <summary>V.</summary>
    public int NumEmbeddings { get; }

    /// <summary>D.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row that stays zero, or −1 for none.</summary>
    public int PaddingIndex { get; }

    /// <summary>A table of <paramref name="numEmbeddings"/> rows of width <paramref name="embeddingDim"/>, N(0, <paramref name="std"/>²).</summary>
    public Embedding(int numEmbeddings, int embeddingDim, Rng rng, int paddingIndex = -1, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding: sizes must be positive, got V={numEmbeddings} D={embeddingDim}.");
        if (paddingIndex < -1 || paddingIndex >= numEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), $"Embedding: padding index {paddingIndex} is not in [0, {numEmbeddings}) or −1.");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIndex = paddingIndex;
        Weight = RegisterParameter("weight", Tensor.Parameter(numEmbeddings, embeddingDim));
        rng.Normal(Weight.AsSpan(), 0f, std);
        if (paddingIndex >= 0) Weight.AsSpan().Slice(paddingIndex * embeddingDim, embeddingDim).Clear();
    }

    /// <summary>ids (S…) → (S…, D).</summary>
    public Tensor Forward(IntTensor ids) => Tensor.Embedding(Weight, ids, PaddingIndex);

    /// <summary>ids (B, T) given as a flat row-major array → (B, T, D).</summary>
    public Tensor Forward(int[] ids, int batch, int time) => Forward(new IntTensor(ids, batch, time));
}
