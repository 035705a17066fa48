namespace TinyLM.Kernels;

/// <summary>One product of <see cref="BlockGemv.MultiplyMany(BlockActivations, ReadOnlySpan{BlockProduct})"/>: y (m, W.Rows) = x·Wᵀ + bias.</summary>
public readonly unsafe struct BlockProduct(BlockMatrix w, float* bias, float* y)
{
    internal readonly BlockMatrix W = w;
    internal readonly float* Bias = bias, Y = y;
}

/// <summary>
/// Block-quantized matrix products for the m rows of one quantized activation batch, several matrices in one
/// parallel dispatch (a decode step's q/k/v or gate/up projections share their input and one wake-up). Work is
/// split over blocks of output rows; each output is computed by one thread in a fixed order, so results are the
/// same at every thread count.
/// </summary>
public static unsafe class BlockGemv
{
    /// <summary>Most products per call.</summary>
    public const int MaxProducts = 4;

    [ThreadStatic] private static Job? _job;

    /// <summary>Runs every product on <paramref name="x"/>; callers keep y and bias pinned. Every W needs x.Cols columns.</summary>
    public static void MultiplyMany(BlockActivations x, ReadOnlySpan<BlockProduct> products) =>
        MultiplyMany(x, products, Simd.Level, Threading.MaxThreads);

    internal static void MultiplyMany(BlockActivations x, ReadOnlySpan<BlockProduct> products, SimdLevel simd, int threads)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (products.Length > MaxProducts) throw new ArgumentException($"BlockGemv.MultiplyMany: at most {MaxProducts} products per call, got {products.Length}.");
        long work = 0;
        foreach (var p in products)
        {
            if (p.W.Cols != x.Cols)
                throw new ArgumentException($"BlockGemv.MultiplyMany: a ({p.W.Rows}, {p.W.Cols}) matrix cannot take activations of {x.Cols} values.");
            work += (long)p.W.Rows * p.W.Cols;
        }
        work *= x.Rows;
        if (x.Rows == 0 || work == 0) return;
        // Small products are not worth waking workers for.
        if (work < 65_536) threads = 1;
        var job = _job ??= new Job();
        int total = 0;
        for (int i = 0; i < products.Length; i++)
        {
            var p = products[i];
            // About 8 blocks per thread balances a shared CPU.
            int block = threads <= 1 ? Math.Max(1, p.W.Rows) : Math.Max(4, (p.W.Rows / (threads * 8) + 3) & ~3);
            job.Products[i] = p;
            job.BlockRows[i] = block;
            job.FirstBlock[i] = total;
            total += (p.W.Rows + block - 1) / block;
        }
        job.Count = products.Length;
        job.X = x;
        job.Level = BlockQuant.BlockLevel(simd);
        try
        {
            Threading.For(total, job, threads);
        }
        finally
        {
            job.X = null;
            Array.Clear(job.Products);
        }
    }

    private sealed class Job : ParallelJob
    {
        public readonly BlockProduct[] Products = new BlockProduct[MaxProducts];
        public readonly int[] BlockRows = new int[MaxProducts];
        public readonly int[] FirstBlock = new int[MaxProducts];
        public int Count;
        public BlockActivations? X;
        public SimdLevel Level;

        public override void Run(int index)
        {
            int i = Count - 1;
            while (FirstBlock[i] > index) i--;
            var p = Products[i];
            var w = p.W;
            var x = X!;
            int r0 = (index - FirstBlock[i]) * BlockRows[i], r1 = Math.Min(w.Rows, r0 + BlockRows[i]);
            int blocks = w.Cols / BlockQuant.BlockSize;
            for (int t = 0; t < x.Rows; t++)
            {
                sbyte* a = x.Values(t);
                float* sa = x.Scales(t);
                int* sums = x.Sums(t);
                float* y = p.Y + (long)t * w.Rows;
                if (w.Format == BlockFormat.Q4_0)
                {
                    Q4Dot.Rows(Level, r1 - r0, blocks, w.RowOf(r0), w.RowBytes, w.ScalesOf(r0), a, sa, p.Bias == null ? null : p.Bias + r0, y + r0);
                    continue;
                }
                for (int r = r0; r < r1; r++)
                {
                    float value = BlockDot.Row(w.Format, blocks, w.RowOf(r), w.ScalesOf(r), w.MinsOf(r), a, sa, sums, Level);
                    y[r] = p.Bias == null ? value : value + p.Bias[r];
                }
            }
        }
    }
}
