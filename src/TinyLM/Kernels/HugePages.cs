using System.Runtime.InteropServices;

namespace TinyLM.Kernels;

/// <summary>
/// Asks Linux to back long-lived, streamed buffers (the weight matrices of a decoding model) with 2 MiB transparent
/// huge pages. Decoding reads every weight once per token; with 4 KiB pages that is a TLB miss (a two-level walk in a
/// VM) and a hardware-prefetcher restart every 4 KiB. Measured on the llama2.c 15M shape: about 1.2–1.3× the decode
/// speed on one thread (docs/benchmarks.md, issue 4). Only a hint: the contents never change, nothing fails when the
/// kernel lacks the feature (other systems, THP "never"), and TINYLM_HUGEPAGES=0 turns it off.
/// <para>The buffers are managed arrays, so only the 2 MiB-aligned parts of runs of adjacent buffers can be
/// collapsed (madvise MADV_HUGEPAGE, then MADV_COLLAPSE, Linux ≥ 6.1; older kernels leave it to khugepaged).
/// Arrays above the large-object threshold are not moved by the GC by default.</para>
/// </summary>
public static unsafe class HugePages
{
    /// <summary>The huge page size on x86-64 and arm64 Linux.</summary>
    public const int PageBytes = 2 << 20;

    // Buffers closer than this are treated as one run: the gap holds object headers and padding, not other data.
    internal const long MaxGapBytes = 64 << 10;

    private const int MadvHugePage = 14, MadvCollapse = 25;

    private static readonly delegate* unmanaged<nint, nuint, int, int> _madvise = LoadMadvise();
    private static readonly HashSet<nint> _done = [];

    /// <summary>False where huge pages cannot be requested (not Linux, no libc, or TINYLM_HUGEPAGES=0).</summary>
    public static bool IsAvailable => _madvise != null;

    /// <summary>
    /// Advises huge pages for the given buffers (start address, length in bytes). Callers keep the buffers alive;
    /// they need not be pinned (an array the GC moves merely loses the hint). Pages already handled are skipped, so
    /// calling again for the same weights is cheap. Returns the bytes newly collapsed.
    /// </summary>
    public static long Advise(ReadOnlySpan<(nint Start, long Bytes)> buffers)
    {
        if (!IsAvailable || buffers.IsEmpty) return 0;
        long collapsed = 0;
        foreach (var (start, end) in AlignedRuns(buffers, MaxGapBytes, PageBytes))
            for (nint page = start; page < end; page += PageBytes)
            {
                lock (_done)
                    if (!_done.Add(page)) continue;
                // Each page on its own: one that cannot be collapsed (not yet committed, another mapping) costs only itself.
                _madvise(page, PageBytes, MadvHugePage);
                if (_madvise(page, PageBytes, MadvCollapse) == 0) collapsed += PageBytes;
            }
        return collapsed;
    }

    /// <summary>
    /// The whole <paramref name="pageBytes"/>-aligned pages inside runs of buffers, where a run joins buffers (sorted
    /// by address) whose gaps are at most <paramref name="maxGap"/> bytes. Pages are never outside a run.
    /// </summary>
    internal static List<(nint Start, nint End)> AlignedRuns(ReadOnlySpan<(nint Start, long Bytes)> buffers, long maxGap, long pageBytes)
    {
        if (pageBytes <= 0 || (pageBytes & (pageBytes - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(pageBytes), pageBytes, "HugePages.AlignedRuns: the page size must be a power of two.");
        var sorted = buffers.ToArray();
        Array.Sort(sorted, (a, b) => a.Start.CompareTo(b.Start));
        var runs = new List<(nint, nint)>();
        long mask = pageBytes - 1;
        int i = 0;
        while (i < sorted.Length)
        {
            long start = sorted[i].Start, end = start + Math.Max(0, sorted[i].Bytes);
            for (i++; i < sorted.Length && sorted[i].Start <= end + maxGap; i++)
                end = Math.Max(end, sorted[i].Start + Math.Max(0, sorted[i].Bytes));
            long first = (start + mask) & ~mask, last = end & ~mask;
            if (last > first) runs.Add(((nint)first, (nint)last));
        }
        return runs;
    }

    private static delegate* unmanaged<nint, nuint, int, int> LoadMadvise()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("TINYLM_HUGEPAGES") == "0") return null;
        if (!NativeLibrary.TryLoad("libc.so.6", out nint libc)) return null;
        return NativeLibrary.TryGetExport(libc, "madvise", out nint madvise) ? (delegate* unmanaged<nint, nuint, int, int>)madvise : null;
    }
}
