using System.Runtime.InteropServices;

namespace TinyLM.Bench.Harness;

/// <summary>
/// OpenBLAS, loaded at run time for side-by-side benchmarks only; the product never needs it.
/// Function pointers instead of DllImport keep the CLI NativeAOT-friendly and let it run without it.
/// </summary>
internal sealed unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    public const string LibraryName = "libopenblas.so.0";

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, void> _setThreads;

    private OpenBlas(nint sgemm, nint setThreads)
    {
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        _setThreads = (delegate* unmanaged<int, void>)setThreads;
    }

    /// <summary>Loads OpenBLAS, or returns null when it is not installed.</summary>
    public static OpenBlas? TryLoad()
    {
        foreach (string name in new[] { LibraryName, "libopenblas.so", "libopenblas.dylib", "libopenblas.dll" })
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm)
                    && NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads))
                    return new OpenBlas(sgemm, setThreads);
                NativeLibrary.Free(handle);
            }
        return null;
    }

    public void SetThreads(int threads) => _setThreads(threads);

    /// <summary>Row-major cblas_sgemm, same argument order as TinyLM's Gemm.Multiply.</summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
        => _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
