using System.Numerics.Tensors;
using TinyLM.Kernels;

namespace TinyLM.Tensors;

/// <summary>
/// Walks the rows (last dimension) of up to three strided operands over a common shape, after merging
/// dimensions that are laid out back to back, so broadcasting costs one span kernel call per row.
/// </summary>
internal ref struct RowIterator
{
    private readonly int[] _shape;
    private readonly int[] _s0, _s1, _s2;
    private readonly int _rank;
    private readonly int[] _index;
    private int _o0, _o1, _o2;
    private bool _started;
    private bool _done;

    public RowIterator(int[] shape, int[] s0, int[] s1, int[] s2)
    {
        // Coalesce: drop size-1 dims, merge dim i into i+1 when every operand's stride allows it.
        var sh = new List<int>(shape.Length);
        var a = new List<int>(shape.Length);
        var b = new List<int>(shape.Length);
        var c = new List<int>(shape.Length);
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int k = sh.Count - 1;
            if (k >= 0 && a[k] == s0[i] * shape[i] && b[k] == s1[i] * shape[i] && c[k] == s2[i] * shape[i])
            {
                sh[k] *= shape[i];
                a[k] = s0[i]; b[k] = s1[i]; c[k] = s2[i];
            }
            else
            {
                sh.Add(shape[i]); a.Add(s0[i]); b.Add(s1[i]); c.Add(s2[i]);
            }
        }
        if (sh.Count == 0) { sh.Add(1); a.Add(0); b.Add(0); c.Add(0); }
        _shape = [.. sh];
        _s0 = [.. a];
        _s1 = [.. b];
        _s2 = [.. c];
        _rank = _shape.Length;
        _index = new int[_rank];
        _o0 = _o1 = _o2 = 0;
        _started = false;
        _done = ShapeOf.Count(shape) == 0;
    }

    public readonly int RowLength => _shape[_rank - 1];
    public readonly int Stride0 => _s0[_rank - 1];
    public readonly int Stride1 => _s1[_rank - 1];
    public readonly int Stride2 => _s2[_rank - 1];

    public bool Next(out int o0, out int o1, out int o2)
    {
        if (_done) { o0 = o1 = o2 = 0; return false; }
        if (_started)
        {
            int d = _rank - 2;
            for (; d >= 0; d--)
            {
                _index[d]++;
                _o0 += _s0[d]; _o1 += _s1[d]; _o2 += _s2[d];
                if (_index[d] < _shape[d]) break;
                _o0 -= _s0[d] * _shape[d]; _o1 -= _s1[d] * _shape[d]; _o2 -= _s2[d] * _shape[d];
                _index[d] = 0;
            }
            if (d < 0) { _done = true; o0 = o1 = o2 = 0; return false; }
        }
        _started = true;
        o0 = _o0; o1 = _o1; o2 = _o2;
        return true;
    }
}

/// <summary>Forward of broadcasting binary ops and the reduction of gradients back to input shapes.</summary>
internal static class Broadcasting
{
    /// <summary>out = op(a, b) with numpy broadcasting; inputs may be views. Not recorded. A temp result is unscoped (release it yourself).</summary>
    public static Tensor Binary<TOp>(Tensor a, Tensor b, string op, bool temp = false) where TOp : IBinaryOperator
    {
        var shape = ShapeOf.SameShape(a.ShapeArray, b.ShapeArray) ? (int[])a.ShapeArray.Clone() : ShapeOf.Broadcast(a.ShapeArray, b.ShapeArray, op);
        var result = temp ? Tensor.AllocateTemp(shape, clear: false) : Tensor.Allocate(shape, clear: false);
        var d = result.Data.AsSpan(0, result.Length);
        if (result.Length == 0) return result;
        if (a.IsContiguous && b.IsContiguous)
        {
            var x = a.Data.AsSpan(a.Offset, a.Length);
            var y = b.Data.AsSpan(b.Offset, b.Length);
            if (a.Length == d.Length && b.Length == d.Length) { TOp.Invoke(x, y, d); return result; }
            if (b.Length == 1 && a.Length == d.Length) { TOp.Invoke(x, y[0], d); return result; }
            if (a.Length == 1 && b.Length == d.Length) { TOp.Invoke(x[0], y, d); return result; }
        }
        var sa = ShapeOf.BroadcastStrides(a.ShapeArray, a.StrideArray, shape);
        var sb = ShapeOf.BroadcastStrides(b.ShapeArray, b.StrideArray, shape);
        var it = new RowIterator(shape, sa, sb, ShapeOf.ContiguousStrides(shape));
        int n = it.RowLength, ia = it.Stride0, ib = it.Stride1;
        float[] da = a.Data, db = b.Data;
        while (it.Next(out int oa, out int ob, out int od))
        {
            var row = d.Slice(od, n);
            if ((ia == 0 || ia == 1) && (ib == 0 || ib == 1))
                ElementwiseKernels.ApplyRow<TOp>(da.AsSpan(a.Offset + oa), ia, db.AsSpan(b.Offset + ob), ib, row);
            else
                for (int i = 0; i < n; i++) row[i] = TOp.Invoke(da[a.Offset + oa + i * ia], db[b.Offset + ob + i * ib]);
        }
        return result;
    }

    /// <summary>dst (contiguous, <paramref name="target"/> shape) += g summed over the dimensions that were broadcast.</summary>
    public static void SumInto(Tensor g, int[] target, Span<float> dst, string op)
    {
        var gShape = g.ShapeArray;
        var check = ShapeOf.Broadcast(target, gShape, op);
        if (!ShapeOf.SameShape(check, gShape))
            throw new ArgumentException($"{op}: gradient of shape {ShapeOf.Format(gShape)} cannot be reduced to {ShapeOf.Format(target)}.");
        var sd = ShapeOf.BroadcastStrides(target, ShapeOf.ContiguousStrides(target), gShape);
        var it = new RowIterator(gShape, g.StrideArray, sd, new int[gShape.Length]);
        int n = it.RowLength, ig = it.Stride0, id = it.Stride1;
        float[] gd = g.Data;
        while (it.Next(out int og, out int od, out _))
        {
            if (ig == 1 && id == 1)
            {
                var row = dst.Slice(od, n);
                TensorPrimitives.Add(row, gd.AsSpan(g.Offset + og, n), row);
            }
            else if (ig == 1 && id == 0)
            {
                dst[od] += TensorPrimitives.Sum(gd.AsSpan(g.Offset + og, n));
            }
            else
            {
                for (int i = 0; i < n; i++) dst[od + i * id] += gd[g.Offset + og + i * ig];
            }
        }
    }
}
