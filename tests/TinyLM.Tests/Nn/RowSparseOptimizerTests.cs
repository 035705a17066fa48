using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.Tests.Nn;

/// <summary>Lazy row updates (Optimizer.UpdateRowsOnly): only the rows set move, and they move as a dense update would.</summary>
public class RowSparseOptimizerTests
{
    private const int Rows = 6, Dim = 11; // 11: one full Vector256 and a scalar tail per row

    private static Tensor Table(ulong seed)
    {
        var t = Tensor.Parameter(Rows, Dim);
        new Rng(seed).Normal(t.AsSpan());
        return t;
    }

    // A gradient that is non-zero only in the given rows, as an embedding lookup of those ids leaves it.
    private static void SetGrad(Tensor p, int step, params int[] rows)
    {
        p.ZeroGrad();
        if (p.Grad is null) p.Mul(0f).Sum().Backward();
        var g = p.Grad!.AsSpan();
        g.Clear();
        var values = new float[Dim];
        new Rng(50 + (ulong)step).Normal(values);
        foreach (int r in rows) values.CopyTo(g.Slice(r * Dim, Dim));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Touched_rows_match_the_dense_update_and_untouched_rows_keep_value_and_state(bool sgd)
    {
        Tensor dense = Table(1), sparse = Table(1);
        Optimizer MakeOptimizer(Tensor t) => sgd
            ? new Sgd([new KeyValuePair<string, Tensor>("table", t)], 0.1f, momentum: 0.9f, weightDecay: 0.01f)
            : new Adam([new KeyValuePair<string, Tensor>("table", t)], 0.1f, weightDecay: 0.01f);
        var denseOpt = MakeOptimizer(dense);
        var sparseOpt = MakeOptimizer(sparse);
        sparseOpt.UpdateRowsOnly(sparse, Dim);

        // Step 1 touches rows 1 and 4: a dense update with zero gradient elsewhere moves only weight-decayed rows,
        // so compare the touched rows only.
        SetGrad(dense, 1, 1, 4);
        SetGrad(sparse, 1, 1, 4);
        sparseOpt.SetRows([1, 4]);
        denseOpt.Step();
        sparseOpt.Step();
        foreach (int r in new[] { 1, 4 })
            Assert.Equal(dense.AsSpan().Slice(r * Dim, Dim).ToArray(), sparse.AsSpan().Slice(r * Dim, Dim).ToArray());
        var untouched = Table(1).AsSpan();
        foreach (int r in new[] { 0, 2, 3, 5 })
            Assert.Equal(untouched.Slice(r * Dim, Dim).ToArray(), sparse.AsSpan().Slice(r * Dim, Dim).ToArray());

        // Step 2 touches row 2 only: row 1 keeps the value of step 1 (its momentum would have moved it in a dense update).
        var row1 = sparse.AsSpan().Slice(Dim, Dim).ToArray();
        sparseOpt.ZeroGrad();
        Assert.All(sparse.Grad!.ToArray(), g => Assert.Equal(0f, g));
        SetGrad(sparse, 2, 2);
        sparseOpt.SetRows([2]);
        sparseOpt.Step();
        Assert.Equal(row1, sparse.AsSpan().Slice(Dim, Dim).ToArray());
        Assert.NotEqual(untouched.Slice(2 * Dim, Dim).ToArray(), sparse.AsSpan().Slice(2 * Dim, Dim).ToArray());
    }

    [Fact]
    public void Clipping_reads_and_scales_only_the_rows_set()
    {
        var t = Table(2);
        var opt = new Adam([new KeyValuePair<string, Tensor>("table", t)], 0.1f);
        opt.UpdateRowsOnly(t, Dim);
        SetGrad(t, 3, 0, 3);
        t.Grad!.AsSpan()[5 * Dim] = 1000f; // a stale value outside the rows set must be neither counted nor scaled
        var g = t.Grad.AsSpan();
        double expected = 0;
        foreach (int r in new[] { 0, 3 })
            foreach (float v in g.Slice(r * Dim, Dim)) expected += (double)v * v;
        opt.SetRows([0, 3]);
        float norm = opt.ClipGradients(0.5f);
        Assert.Equal(Math.Sqrt(expected), norm, 5);
        Assert.Equal(1000f, t.Grad.AsSpan()[5 * Dim]);
        double after = 0;
        foreach (int r in new[] { 0, 3 })
            foreach (float v in t.Grad.AsSpan().Slice(r * Dim, Dim)) after += (double)v * v;
        Assert.Equal(0.5, Math.Sqrt(after), 4);
        Assert.Throws<ArgumentException>(() => opt.UpdateRowsOnly(Tensor.Parameter(Rows, Dim), Dim));
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.UpdateRowsOnly(t, 4));
    }
}
