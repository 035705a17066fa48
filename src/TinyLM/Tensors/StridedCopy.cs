namespace TinyLM.Tensors;

/// <summary>Copies and accumulations between strided views and contiguous buffers (the slow path under views).</summary>
internal static class StridedCopy
{
    /// <summary>dst (contiguous, src's shape) = src.</summary>
    public static void ToContiguous(Tensor src, Span<float> dst)
    {
        if (src.IsContiguous)
        {
            src.Data.AsSpan(src.Offset, src.Length).CopyTo(dst);
            return;
        }
        Walk(src.Data, src.Offset, src.ShapeArray, src.StrideArray, dst, add: false, intoStrided: false);
    }

    /// <summary>dstView += src, where dstView is a strided region of <paramref name="dst"/> and src is contiguous in <paramref name="shape"/>.</summary>
    public static void AddInto(float[] dst, int dstOffset, int[] shape, int[] dstStrides, ReadOnlySpan<float> src) =>
        Walk(dst, dstOffset, shape, dstStrides, MemoryMarshalSpan(src), add: true, intoStrided: true);

    /// <summary>dstView = src (strided destination, contiguous source).</summary>
    public static void CopyInto(float[] dst, int dstOffset, int[] shape, int[] dstStrides, ReadOnlySpan<float> src) =>
        Walk(dst, dstOffset, shape, dstStrides, MemoryMarshalSpan(src), add: false, intoStrided: true);

    private static Span<float> MemoryMarshalSpan(ReadOnlySpan<float> s) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s), s.Length);

    // Iterates the strided side in row-major order; the contiguous side advances by one each element.
    private static void Walk(float[] strided, int offset, int[] shape, int[] strides, Span<float> dense, bool add, bool intoStrided)
    {
        int rank = shape.Length;
        int n = ShapeOf.Count(shape);
        if (n == 0) return;
        if (rank == 0)
        {
            Apply(ref strided[offset], ref dense[0], add, intoStrided);
            return;
        }
        int inner = shape[rank - 1], innerStride = strides[rank - 1];
        Span<int> idx = stackalloc int[rank];
        int p = offset, q = 0;
        while (true)
        {
            if (innerStride == 1)
            {
                var s = strided.AsSpan(p, inner);
                var d = dense.Slice(q, inner);
                if (!intoStrided) s.CopyTo(d);
                else if (add) System.Numerics.Tensors.TensorPrimitives.Add(s, d, s);
                else d.CopyTo(s);
            }
            else
            {
                for (int i = 0; i < inner; i++) Apply(ref strided[p + i * innerStride], ref dense[q + i], add, intoStrided);
            }
            q += inner;
            int dim = rank - 2;
            for (; dim >= 0; dim--)
            {
                idx[dim]++;
                p += strides[dim];
                if (idx[dim] < shape[dim]) break;
                p -= strides[dim] * shape[dim];
                idx[dim] = 0;
            }
            if (dim < 0) return;
        }
    }

    private static void Apply(ref float s, ref float d, bool add, bool intoStrided)
    {
        if (!intoStrided) d = s;
        else if (add) s += d;
        else s = d;
    }
}
