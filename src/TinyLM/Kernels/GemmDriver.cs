using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TinyLM.Kernels;

/// <summary>
/// The blocked GEMM loops around a micro-kernel (Goto/BLIS order): for each NC-wide column block
/// and KC-deep slice, pack B once; for each MC-tall row block, pack A; then sweep Nr×Mr tiles.
/// Threads split C into disjoint blocks of whole tiles and never split k, so every element is
/// computed by the same sequence of operations whatever the thread count.
/// </summary>
internal static unsafe class GemmDriver<TK> where TK : struct, IGemmMicroKernel
{
    // Blocking for a core with 32 KiB L1d and 512 KiB L2 (Zen 3): a kc×Nr B sliver (16 KiB) stays in
    // L1 while the mc×kc packed A block (144 KiB) stays in L2; the kc×nc B panel lives in L3.
    private const int KcMax = 256;
    private static int Mc => TK.Mr * 24;
    private static int Nc => 2048;

    // Below this many flops (64³ is 2^19) a second thread costs about what it saves, and on a shared
    // machine often more; OpenBLAS makes the same call.
    private const long ParallelFlops = 1L << 20;

    [ThreadStatic] private static float[]? _scratch;
    [ThreadStatic] private static Job? _job;

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, GemmAlgorithm algorithm, int threads)
    {
        var job = _job ??= new Job();
        job.Set(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ChooseDirect(transB, m, n, k, algorithm));
        job.OverBatch = false;
        int count = job.Partition(threads);
        Threading.For(count, job, threads);
    }

    public static void MultiplyBatched(bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        float* a, nint lda, long strideA, float* b, nint ldb, long strideB, float beta, float* c, nint ldc, long strideC,
        GemmAlgorithm algorithm, int threads)
    {
        var job = _job ??= new Job();
        bool direct = ChooseDirect(transB, m, n, k, algorithm);
        if (batch >= threads || 2L * m * n * k < ParallelFlops)
        {
            // Enough items to keep every thread busy: one item per index, each run serially.
            job.Set(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, direct);
            job.OverBatch = true;
            job.StrideA = strideA;
            job.StrideB = strideB;
            job.StrideC = strideC;
            Threading.For(batch, job, threads);
            return;
        }
        for (int i = 0; i < batch; i++)
        {
            job.Set(transA, transB, m, n, k, alpha, a + strideA * i, lda, b + strideB * i, ldb, beta, c + strideC * i, ldc, direct);
            job.OverBatch = false;
            Threading.For(job.Partition(threads), job, threads);
        }
    }

    /// <summary>
    /// Products up to the kernel's measured volume skip packing A (and B when B is not transposed): the
    /// copy costs more than it saves while a k×Nr sliver of B stays in L2 (k ≤ 1024). A transposed B is
    /// still copied whole (k×n, bounded here). The choice depends on the shape only, never the threads.
    /// </summary>
    private static bool ChooseDirect(bool transB, int m, int n, int k, GemmAlgorithm algorithm) => algorithm switch
    {
        GemmAlgorithm.Direct => true,
        GemmAlgorithm.Packed => false,
        _ => k <= 1024 && (long)m * n * k <= TK.DirectVolume && (!transB || (long)k * n <= 1L << 20),
    };

    public static string Describe(bool transA, bool transB, int m, int n, int k, GemmAlgorithm algorithm, string simd) =>
        $"{simd} {TK.Mr}x{TK.Nr} {(ChooseDirect(transB, m, n, k, algorithm) ? "direct" : "packed")}";

    private static float* Scratch(nint floats)
    {
        var s = _scratch;
        if (s is null || s.Length < floats + 16)
            _scratch = s = GC.AllocateUninitializedArray<float>((int)floats + 16, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s));
        return (float*)((p + 63) & ~(nint)63);
    }

    private sealed class Job : ParallelJob
    {
        private bool _transA, _transB, _direct;
        private int _m, _n, _k;
        private float _alpha, _beta;
        private float* _a, _b, _c;
        private nint _lda, _ldb, _ldc;
        private int _gridN, _chunkM, _chunkN;
        public bool OverBatch;
        public long StrideA, StrideB, StrideC;

        public void Set(bool transA, bool transB, int m, int n, int k, float alpha,
            float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, bool direct)
        {
            _transA = transA; _transB = transB; _m = m; _n = n; _k = k; _alpha = alpha; _beta = beta;
            _a = a; _b = b; _c = c; _lda = lda; _ldb = ldb; _ldc = ldc; _direct = direct;
            _gridN = 1; _chunkM = m; _chunkN = n;
        }

        /// <summary>Splits C into gridM×gridN blocks of whole tiles; returns the block count.</summary>
        public int Partition(int threads)
        {
            int tilesM = (_m + TK.Mr - 1) / TK.Mr, tilesN = (_n + TK.Nr - 1) / TK.Nr;
            if (2L * _m * _n * _k < ParallelFlops)
                threads = 1;
            else if (_direct && 2L * _m * _n * _k >= ParallelFlops << 4)
                // Unpacked blocks cost nothing extra to split finer, and small blocks let a thread that
                // starts late (the machine is shared) take less than half the work.
                threads *= 4;
            int bestM = 1, bestN = 1;
            long bestCost = long.MaxValue;
            for (int t = Math.Max(1, threads); t >= 1 && bestCost == long.MaxValue; t--)
                for (int gm = 1; gm <= t; gm++)
                {
                    if (t % gm != 0) continue;
                    int gn = t / gm;
                    if (gm > tilesM || gn > tilesN) continue;
                    long rows = (long)((tilesM + gm - 1) / gm) * TK.Mr, cols = (long)((tilesN + gn - 1) / gn) * TK.Nr;
                    // Multiply-adds run ~16 per cycle, packing copies ~1 element per cycle.
                    long cost = rows * cols + 16 * (rows + cols);
                    if (cost < bestCost) { bestCost = cost; bestM = gm; bestN = gn; }
                }
            _gridN = bestN;
            _chunkM = (tilesM + bestM - 1) / bestM * TK.Mr;
            _chunkN = (tilesN + bestN - 1) / bestN * TK.Nr;
            return bestM * bestN;
        }

        public override void Run(int index)
        {
            if (OverBatch)
            {
                float* a = _a + StrideA * index, b = _b + StrideB * index, c = _c + StrideC * index;
                Block(a, b, c, 0, _m, 0, _n);
                return;
            }
            int gm = index / _gridN, gn = index % _gridN;
            int i0 = gm * _chunkM, j0 = gn * _chunkN;
            Block(_a, _b, _c, i0, Math.Min(_m, i0 + _chunkM), j0, Math.Min(_n, j0 + _chunkN));
        }

        private void Block(float* a, float* b, float* c, int i0, int i1, int j0, int j1)
        {
            if (i0 >= i1 || j0 >= j1) return;
            if (_direct) Direct(a, b, c, i0, i1, j0, j1);
            else Packed(a, b, c, i0, i1, j0, j1);
        }

        private void Packed(float* a, float* b, float* c, int i0, int i1, int j0, int j1)
        {
            int mrFull = TK.Mr, nrFull = TK.Nr, mcMax = Mc, ncMax = Nc;
            // Even k slices (300 → 150 + 150, not 256 + 44), from k alone so every block agrees.
            int slices = (_k + KcMax - 1) / KcMax;
            int kcStep = (_k + slices - 1) / slices;
            float* bufA = Scratch((nint)mcMax * kcStep + (nint)kcStep * ncMax + 64);
            float* bufB = bufA + (((nint)mcMax * kcStep + 15) & ~(nint)15);
            for (int jc = j0; jc < j1; jc += ncMax)
            {
                int nc = Math.Min(ncMax, j1 - jc);
                for (int pc = 0; pc < _k; pc += kcStep)
                {
                    int kc = Math.Min(kcStep, _k - pc);
                    GemmPacking.PackB(_transB, b, _ldb, pc, kc, jc, nc, bufB, nrFull);
                    float beta = pc == 0 ? _beta : 1f;
                    for (int ic = i0; ic < i1; ic += mcMax)
                    {
                        int mc = Math.Min(mcMax, i1 - ic);
                        GemmPacking.PackA(_transA, a, _lda, ic, mc, pc, kc, bufA, mrFull);
                        for (int jr = 0; jr < nc; jr += nrFull)
                        {
                            int nr = Math.Min(nrFull, nc - jr);
                            float* bp = bufB + (nint)jr * kc;
                            float* cp = c + ic * _ldc + jc + jr;
                            for (int ir = 0; ir < mc; ir += mrFull)
                                TK.RunPacked(kc, bufA + (nint)ir * kc, bp, cp + ir * _ldc, _ldc, _alpha, beta,
                                    Math.Min(mrFull, mc - ir), nr);
                        }
                    }
                }
            }
        }

        private void Direct(float* a, float* b, float* c, int i0, int i1, int j0, int j1)
        {
            int mrFull = TK.Mr, nrFull = TK.Nr, k = _k;
            nint rsA = _transA ? 1 : _lda, csA = _transA ? _lda : 1;
            float* packed = null;
            if (_transB)
            {
                packed = Scratch((nint)k * (j1 - j0 + nrFull));
                GemmPacking.PackB(true, b, _ldb, 0, k, j0, j1 - j0, packed, nrFull);
            }
            for (int jr = j0; jr < j1; jr += nrFull)
            {
                int nr = Math.Min(nrFull, j1 - jr);
                float* bp;
                nint rsB;
                if (_transB)
                {
                    bp = packed + (nint)(jr - j0) * k;
                    rsB = nrFull;
                }
                else if (nr == nrFull)
                {
                    bp = b + jr;
                    rsB = _ldb;
                }
                else
                {
                    // The last sliver would read past the row end of B: copy it, zero-padded.
                    bp = Scratch((nint)k * nrFull);
                    GemmPacking.PackB(false, b, _ldb, 0, k, jr, nr, bp, nrFull);
                    rsB = nrFull;
                }
                for (int ir = i0; ir < i1; ir += mrFull)
                    TK.Run(k, a + ir * rsA, rsA, csA, bp, rsB, c + ir * _ldc + jr, _ldc, _alpha, _beta,
                        Math.Min(mrFull, i1 - ir), nr);
            }
        }
    }
}
