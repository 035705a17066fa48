using TinyLM.Kernels;

namespace TinyLM.Tests.Kernels;

public class ThreadingTests
{
    private sealed class CountingJob : ParallelJob
    {
        public int[] Hits = [];
        public override void Run(int index) => Interlocked.Increment(ref Hits[index]);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(7, 1)]
    [InlineData(7, 2)]
    [InlineData(1000, 3)]
    [InlineData(5, 16)]
    public void Runs_every_index_exactly_once(int count, int threads)
    {
        var job = new CountingJob { Hits = new int[count] };
        for (int repeat = 0; repeat < 50; repeat++)
            Threading.For(count, job, threads);
        Assert.All(job.Hits, h => Assert.Equal(50, h));
    }

    [Fact]
    public void Nested_calls_run_inline_and_complete()
    {
        var sums = new long[8];
        Threading.For(8, i =>
        {
            long local = 0;
            var inner = new long[100];
            Threading.For(100, j => inner[j] = i * j);
            foreach (long v in inner) local += v;
            sums[i] = local;
        });
        for (int i = 0; i < 8; i++)
            Assert.Equal(i * 4950L, sums[i]);
    }

    [Fact]
    public void Calls_from_many_threads_at_once_all_complete()
    {
        var totals = new int[4];
        Parallel.For(0, 4, t =>
        {
            for (int r = 0; r < 100; r++)
            {
                var hits = new int[33];
                Threading.For(33, i => Interlocked.Increment(ref hits[i]));
                if (hits.All(h => h == 1)) Interlocked.Increment(ref totals[t]);
            }
        });
        Assert.All(totals, t => Assert.Equal(100, t));
    }

    [Fact]
    public void Exceptions_reach_the_caller_and_the_pool_still_works()
    {
        // Wrapped when the pool ran the job; thrown as is when another test held the pool and it ran inline.
        var e = Assert.ThrowsAny<Exception>(() => Threading.For(10, new ThrowingJob(), 2));
        Assert.IsType<InvalidOperationException>(e is AggregateException a ? a.InnerException : e);
        var job = new CountingJob { Hits = new int[10] };
        Threading.For(10, job, 2);
        Assert.All(job.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void MaxThreads_rejects_values_below_one()
    {
        Assert.True(Threading.MaxThreads >= 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Threading.MaxThreads = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => Threading.For(-1, _ => { }));
    }

    private sealed class ThrowingJob : ParallelJob
    {
        public override void Run(int index)
        {
            if (index == 3) throw new InvalidOperationException("boom");
        }
    }
}
