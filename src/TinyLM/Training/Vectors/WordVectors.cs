namespace TinyLM.Training.Vectors;

/// <summary>A table of word vectors: row i (of <see cref="Dim"/> floats in <see cref="Values"/>) belongs to <see cref="Words"/>[i].</summary>
public sealed record WordVectors(IReadOnlyList<string> Words, int Dim, float[] Values)
{
    public ReadOnlySpan<float> Row(int i) => Values.AsSpan(i * Dim, Dim);
}
