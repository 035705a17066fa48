using TinyLM.Kernels;

namespace TinyLM.Tensors;

// Matrix products through Gemm with transpose flags: a transposed view is passed as-is, never materialised.
public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product over the last two dimensions. Supported: (M,K)·(K,N); (…,M,K)·(K,N) (the batch folds into M
    /// when contiguous); (…,M,K)·(…,K,N) with equal batch dimensions (batched GEMM).
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank < 2 || other.Rank < 2)
            throw new ArgumentException($"MatMul: operands must have rank ≥ 2, got {ShapeOf.Format(_shape)} and {ShapeOf.Format(other._shape)}.");
        int k = _shape[^1];
        if (other._shape[^2] != k)
            throw new ArgumentException($"MatMul: inner dimensions differ: {ShapeOf.Format(_shape)} · {ShapeOf.Format(other._shape)}.");
        if (other.Rank == 2) return MatMul2D(this, other);
        if (Rank != other.Rank)
            throw new ArgumentException($"MatMul: batch ranks differ: {ShapeOf.Format(_shape)} · {ShapeOf.Format(other._shape)} (broadcast batches are not supported).");
        for (int i = 0; i < Rank - 2; i++)
            if (_shape[i] != other._shape[i])
                throw new ArgumentException($"MatMul: batch dimensions differ: {ShapeOf.Format(_shape)} · {ShapeOf.Format(other._shape)}.");
        return BatchedMatMul(this, other);
    }

    /// <summary>Batched matrix product (alias of <see cref="MatMul"/> for rank-3 operands).</summary>
    public static Tensor Bmm(Tensor a, Tensor b) => a.MatMul(b);

    // A matrix operand as Gemm sees it: its buffer, offset, transpose flag, leading dimension and batch stride.
    private readonly record struct GemmOperand(Tensor Source, bool Trans, int Ld, int BatchStride);

    // Describes the last two dims of t, or null when the layout does not fit Gemm (caller copies): the
    // matrix must be row- or column-major, and the batch dims must collapse to one stride. Size-1 dims
    // carry no stride information (a view may give them any stride), so they are skipped; a broadcast
    // batch (stride 0) is fine when it is the only batch dim of size > 1.
    private static GemmOperand? AsGemmOperand(Tensor t)
    {
        int r = t.Rank;
        int rows = t._shape[r - 2], cols = t._shape[r - 1];
        int s0 = rows == 1 ? Math.Max(cols, 1) : t._strides[r - 2];
        int s1 = cols == 1 ? Math.Max(rows, 1) : t._strides[r - 1];
        int batchStride = rows * cols;
        int inner = -1; // the innermost batch dim of size > 1 seen so far
        for (int i = r - 3; i >= 0; i--)
        {
            if (t._shape[i] == 1) continue;
            if (inner < 0) batchStride = t._strides[i];
            else if ((long)t._strides[i] != (long)t._strides[inner] * t._shape[inner]) return null;
            inner = i;
        }
        if (batchStride < 0) return null;
        if (s1 == 1 && s0 >= Math.Max(cols, 1)) return new GemmOperand(t, false, s0, batchStride);
        if (s0 == 1 && s1 >= Math.Max(rows, 1)) return new GemmOperand(t, true, s1, batchStride);
        return null;
    }

    private static GemmOperand Operand(Tensor t)
    {
        var op = AsGemmOperand(t);
        if (op is not null) return op.Value;
        Tensor c;
        using (NoGrad()) c = t.Contiguous();
        return AsGemmOperand(c)!.Value;
    }

    private static Tensor MatMul2D(Tensor a, Tensor b)
    {
        int k = a._shape[^1], n = b._shape[^1];
        // Fold leading dims of a into M (copying a to contiguous first when it is a strided view).
        int m = 1;
        for (int i = 0; i < a.Rank - 1; i++) m *= a._shape[i];
        Tensor a2 = a;
        if (a.Rank > 2)
        {
            Tensor c;
            using (NoGrad()) c = a.Contiguous();
            a2 = new Tensor(c._storage, [m, k], [Math.Max(k, 1), 1], c._offset);
        }
        var opA = Operand(a2);
        var opB = Operand(b);
        var outShape = (int[])a._shape.Clone();
        outShape[^1] = n;
        var y = Allocate(outShape, clear: false);
        Gemm.Multiply(opA.Trans, opB.Trans, m, n, k, 1f,
            opA.Source.Data.AsSpan(opA.Source._offset), opA.Ld,
            opB.Source.Data.AsSpan(opB.Source._offset), opB.Ld,
            0f, y.AsSpan(), Math.Max(n, 1));
        if (AnyRequiresGrad(a, b))
            Record("MatMul", y, [a, b], g =>
            {
                var gs = g.AsSpan();
                if (a.RequiresGrad)
                {
                    // dA (m×k) += dY (m×n) · op(B)ᵀ.
                    Gemm.Multiply(false, !opB.Trans, m, k, n, 1f, gs, Math.Max(n, 1),
                        opB.Source.Data.AsSpan(opB.Source._offset), opB.Ld, 1f, a.GradSpan(), Math.Max(k, 1));
                }
                if (b.RequiresGrad)
                {
                    // dB (k×n) += op(A)ᵀ · dY.
                    Gemm.Multiply(!opA.Trans, false, k, n, m, 1f,
                        opA.Source.Data.AsSpan(opA.Source._offset), opA.Ld, gs, Math.Max(n, 1), 1f, b.GradSpan(), Math.Max(n, 1));
                }
            });
        return y;
    }

    private static Tensor BatchedMatMul(Tensor a, Tensor b)
    {
        int r = a.Rank;
        int m = a._shape[r - 2], k = a._shape[r - 1], n = b._shape[r - 1];
        int batch = 1;
        for (int i = 0; i < r - 2; i++) batch *= a._shape[i];
        var opA = Operand(a);
        var opB = Operand(b);
        var outShape = (int[])a._shape.Clone();
        outShape[^1] = n;
        var y = Allocate(outShape, clear: false);
        var aSpan = opA.Source.Data.AsSpan(opA.Source._offset);
        var bSpan = opB.Source.Data.AsSpan(opB.Source._offset);
        Gemm.MultiplyBatched(opA.Trans, opB.Trans, batch, m, n, k, 1f, aSpan, opA.Ld, opA.BatchStride,
            bSpan, opB.Ld, opB.BatchStride, 0f, y.AsSpan(), Math.Max(n, 1), (long)m * n);
        if (AnyRequiresGrad(a, b))
            Record("MatMul", y, [a, b], g =>
            {
                var gs = g.AsSpan();
                var aS = opA.Source.Data.AsSpan(opA.Source._offset);
                var bS = opB.Source.Data.AsSpan(opB.Source._offset);
                if (a.RequiresGrad)
                    Gemm.MultiplyBatched(false, !opB.Trans, batch, m, k, n, 1f, gs, Math.Max(n, 1), (long)m * n,
                        bS, opB.Ld, opB.BatchStride, 1f, a.GradSpan(), Math.Max(k, 1), (long)m * k);
                if (b.RequiresGrad)
                    Gemm.MultiplyBatched(!opA.Trans, false, batch, k, n, m, 1f, aS, opA.Ld, opA.BatchStride,
                        gs, Math.Max(n, 1), (long)m * n, 1f, b.GradSpan(), Math.Max(n, 1), (long)k * n);
            });
        return y;
    }
}
