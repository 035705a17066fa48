using TinyLM.Tensors;

namespace TinyLM.Compression;

/// <summary>
/// The index arithmetic structured pruning shares: scoring units by weight norms, picking the strongest, and copying
/// the kept rows/columns of a weight into the smaller model's parameter.
/// </summary>
internal static class PruningUnits
{
    /// <summary>How many of <paramref name="count"/> units survive removing a <paramref name="sparsity"/> share (at least one).</summary>
    public static int Kept(int count, double sparsity) => Math.Max(1, (int)Math.Round(count * (1 - sparsity), MidpointRounding.AwayFromZero));

    /// <summary>The indices of the <paramref name="keep"/> highest scores, in ascending index order (ties: lower index).</summary>
    public static int[] Strongest(double[] scores, int keep)
    {
        var order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            int c = scores[b].CompareTo(scores[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var kept = order[..keep];
        Array.Sort(kept);
        return kept;
    }

    /// <summary>Indices <c>offset + i</c> for each i in <paramref name="indices"/>, for each offset (gate blocks, directions).</summary>
    public static int[] Blocks(int[] indices, int blockSize, int blocks)
    {
        var result = new int[indices.Length * blocks];
        for (int g = 0; g < blocks; g++)
            for (int i = 0; i < indices.Length; i++) result[g * indices.Length + i] = g * blockSize + indices[i];
        return result;
    }

    /// <summary>Concatenates index lists, shifting the k-th by k·<paramref name="blockSize"/>.</summary>
    public static int[] Concat(int blockSize, params int[][] parts)
    {
        var result = new List<int>();
        for (int k = 0; k < parts.Length; k++)
            foreach (int i in parts[k]) result.Add(k * blockSize + i);
        return [.. result];
    }

    /// <summary>Sum of squares of row <paramref name="row"/> of a (rows, cols) matrix.</summary>
    public static double RowSquares(ReadOnlySpan<float> m, int cols, int row)
    {
        double s = 0;
        foreach (float v in m.Slice(row * cols, cols)) s += (double)v * v;
        return s;
    }

    /// <summary>Sum of squares of column <paramref name="col"/> of a (rows, cols) matrix.</summary>
    public static double ColumnSquares(ReadOnlySpan<float> m, int cols, int col)
    {
        double s = 0;
        for (int i = col; i < m.Length; i += cols) s += (double)m[i] * m[i];
        return s;
    }

    /// <summary>
    /// Copies the selected slice of <paramref name="source"/> into <paramref name="target"/>: along each dimension the
    /// listed indices (null = all). The target's shape must be the selection's.
    /// </summary>
    public static void Gather(Tensor source, Tensor target, params int[]?[] keep)
    {
        var shape = source.Shape.ToArray();
        if (keep.Length != shape.Length) throw new ArgumentException($"PruningUnits.Gather: {keep.Length} index lists for a rank-{shape.Length} tensor.");
        var dims = new int[shape.Length][];
        for (int d = 0; d < shape.Length; d++)
        {
            dims[d] = keep[d] ?? Enumerable.Range(0, shape[d]).ToArray();
            if (dims[d].Length != target.Dim(d))
                throw new ArgumentException($"PruningUnits.Gather: dimension {d} keeps {dims[d].Length} of {shape[d]}, target has {target.Dim(d)}.");
        }
        var src = source.Contiguous().AsSpan();
        var dst = target.AsSpan();
        var strides = new int[shape.Length];
        for (int d = shape.Length - 1, s = 1; d >= 0; s *= shape[d], d--) strides[d] = s;
        var position = new int[shape.Length];
        for (int o = 0; o < dst.Length; o++)
        {
            int offset = 0;
            for (int d = 0; d < shape.Length; d++) offset += dims[d][position[d]] * strides[d];
            dst[o] = src[offset];
            for (int d = shape.Length - 1; d >= 0 && ++position[d] == dims[d].Length; d--) position[d] = 0;
        }
    }
}
