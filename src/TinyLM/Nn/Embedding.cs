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

    /// <summary>ids (S…) → (S…, D). With a quantized table (see <see cref="Module.SetWeightFormat"/>) rows are dequantized and record no gradient.</summary>
    public Tensor Forward(IntTensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (WeightFormat("weight") is not { } table) return Tensor.Embedding(Weight, ids, PaddingIndex);
        var flat = ids.Data;
        int d = EmbeddingDim;
        var rows = new float[flat.Length * d];
        for (int i = 0; i < flat.Length; i++) WeightRows.DequantizeRow(table, CheckedId(flat[i]), rows.AsSpan(i * d, d));
        return Tensor.FromArray(rows, [.. ids.Shape, d]); // (S…, D)
    }

    /// <summary>Whether the table runs from a quantized matrix.</summary>
    public bool IsQuantized => WeightFormat("weight") is not null;

    /// <summary>
    /// The mean of each text's first lengths[b] rows, (B, D), from ids (B, T) given row-major — an EmbeddingBag for a
    /// quantized table: each dequantized row is summed straight into its text's features (in the order
    /// <see cref="Pooling.MeanOverTime"/> sums), without the (B, T, D) buffer. Records no gradient.
    /// </summary>
    public Tensor MeanOfRows(int[] ids, int batch, int time, int[] lengths)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(lengths);
        if (ids.Length != (long)batch * time || lengths.Length != batch)
            throw new ArgumentException($"Embedding.MeanOfRows: {ids.Length} ids and {lengths.Length} lengths for ({batch}, {time}).");
        int d = EmbeddingDim;
        var table = WeightFormat("weight");
        var weights = table is null ? Weight.AsSpan() : [];
        var features = new float[batch * d]; // (B, D)
        var scratch = table is null ? [] : new float[d];
        for (int b = 0; b < batch; b++)
        {
            int len = lengths[b];
            if ((uint)len > (uint)time) throw new ArgumentException($"Embedding.MeanOfRows: lengths[{b}] = {len} is outside [0, {time}].");
            if (len == 0) continue;
            var f = features.AsSpan(b * d, d);
            for (int t = 0; t < len; t++)
            {
                int id = CheckedId(ids[b * time + t]);
                if (table is null) System.Numerics.Tensors.TensorPrimitives.Add(f, weights.Slice(id * d, d), f);
                else WeightRows.AccumulateRow(table, id, scratch, f);
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(f, 1f / len, f);
        }
        return Tensor.FromArray(features, batch, d);
    }

    protected override bool IsQuantizable(string name) => name == "weight";

    private int CheckedId(int id) => (uint)id < (uint)NumEmbeddings ? id
        : throw new ArgumentOutOfRangeException(nameof(id), $"Embedding: id {id} is outside [0, {NumEmbeddings}).");

    /// <summary>ids (B, T) given as a flat row-major array → (B, T, D).</summary>
    public Tensor Forward(int[] ids, int batch, int time) => Forward(new IntTensor(ids, batch, time));
}
