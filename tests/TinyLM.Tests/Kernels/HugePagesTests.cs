using TinyLM.Kernels;
using TinyLM.Tensors;

namespace TinyLM.Tests.Kernels;

public unsafe class HugePagesTests
{
    private const long Page = 1 << 21;

    [Fact]
    public void AlignedRunsJoinCloseBuffersAndKeepOnlyWholePagesInside()
    {
        (nint, long)[] buffers =
        [
            ((nint)(10 * Page + 100), 3 * Page),             // [10P+100, 13P+100)
            ((nint)(13 * Page + 200), 2 * Page),             // 100-byte gap: same run, up to 15P+200
            ((nint)(40 * Page + 5), Page),                    // far away: [40P+5, 41P+5) holds no whole page
            ((nint)(50 * Page), 2 * Page - 1),                // [50P, 52P-1): one whole page
            ((nint)(60 * Page), 0),                           // empty
        ];
        var runs = HugePages.AlignedRuns(buffers, maxGap: 4096, pageBytes: Page);
        Assert.Equal([((nint)(11 * Page), (nint)(15 * Page)), ((nint)(50 * Page), (nint)(51 * Page))], runs);
        // A gap wider than maxGap splits the first run.
        var split = HugePages.AlignedRuns(buffers[..2], maxGap: 50, pageBytes: Page);
        Assert.Equal([((nint)(11 * Page), (nint)(13 * Page)), ((nint)(14 * Page), (nint)(15 * Page))], split);
        // Order of the input does not matter.
        Assert.Equal(runs, HugePages.AlignedRuns([buffers[3], buffers[1], buffers[4], buffers[0], buffers[2]], 4096, Page));
        Assert.Throws<ArgumentOutOfRangeException>(() => HugePages.AlignedRuns(buffers, 0, 3 << 20));
    }

    [Fact]
    public void AdviseLeavesTheContentsAndIsIdempotent()
    {
        var rng = new Rng(5);
        var a = GC.AllocateArray<float>(3 << 20, pinned: true); // 12 MiB: several whole huge pages
        var b = GC.AllocateArray<float>(100_000, pinned: true);
        rng.Normal(a);
        rng.Normal(b);
        var copyA = (float[])a.Clone();
        var copyB = (float[])b.Clone();
        fixed (float* pa = a, pb = b)
        {
            (nint, long)[] buffers = [((nint)pa, a.Length * 4L), ((nint)pb, b.Length * 4L)];
            long first = HugePages.Advise(buffers);
            Assert.InRange(first, 0, a.Length * 4L + b.Length * 4L);
            if (!HugePages.IsAvailable) Assert.Equal(0, first);
            Assert.Equal(0, HugePages.Advise(buffers)); // pages already handled are skipped
        }
        Assert.Equal(copyA, a);
        Assert.Equal(copyB, b);
    }
}
