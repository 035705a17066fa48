using System.Threading.Channels;

namespace TinyLM.Cli.Serve;

/// <summary>
/// Dynamic batching for one model: concurrent requests wait in a queue; one worker takes the first, gathers every
/// request that arrives within <c>wait</c> (or until <c>maxBatch</c> items), runs one batched call of <c>run</c> over all
/// their items, and hands each request its rows. The worker is the only caller of the model, so the model never runs
/// twice at once. Used for classify (texts → probabilities) and translate (source ids + beam → translations).
/// </summary>
public sealed class DynamicBatcher<TItem, TResult> : IAsyncDisposable
{
    private readonly record struct Job(IReadOnlyList<TItem> Items, TaskCompletionSource<TResult[]> Done, CancellationToken Cancel);

    private readonly Func<List<TItem>, TResult[]> _run;
    private readonly int _maxBatch;
    private readonly TimeSpan _wait;
    private readonly ServeMetrics _metrics;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;

    /// <param name="run">One batched forward: a result per item, in order.</param>
    public DynamicBatcher(Func<List<TItem>, TResult[]> run, int maxBatch, TimeSpan wait, ServeMetrics metrics)
    {
        _run = run;
        _maxBatch = maxBatch;
        _wait = wait;
        _metrics = metrics;
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The results of <paramref name="items"/>, computed in a batch with other waiting requests.</summary>
    public Task<TResult[]> RunAsync(IReadOnlyList<TItem> items, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<TResult[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Job(items, done, cancel)))
            done.SetException(new InvalidOperationException("the server is shutting down"));
        return done.Task.WaitAsync(cancel);
    }

    private async Task RunAsync()
    {
        var jobs = new List<Job>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            jobs.Clear();
            int items = 0;
            var deadline = DateTime.UtcNow + _wait;
            while (items < _maxBatch)
            {
                if (reader.TryRead(out var job))
                {
                    if (job.Cancel.IsCancellationRequested) { job.Done.TrySetCanceled(job.Cancel); continue; }
                    jobs.Add(job);
                    items += job.Items.Count;
                    continue;
                }
                var left = deadline - DateTime.UtcNow;
                if (jobs.Count == 0 || left <= TimeSpan.Zero) break;
                // Bounded wait for more requests to join this batch.
                using var timer = new CancellationTokenSource(left);
                try { if (!await reader.WaitToReadAsync(timer.Token).ConfigureAwait(false)) break; }
                catch (OperationCanceledException) { break; }
            }
            if (jobs.Count == 0) continue;
            Run(jobs, items);
        }
    }

    private void Run(List<Job> jobs, int count)
    {
        var all = new List<TItem>(count);
        foreach (var job in jobs) all.AddRange(job.Items);
        try
        {
            var results = _run(all);
            if (results.Length != all.Count) throw new InvalidOperationException($"a batch of {all.Count} items gave {results.Length} results");
            _metrics.Batch(all.Count);
            int at = 0;
            foreach (var job in jobs)
            {
                job.Done.TrySetResult(results[at..(at + job.Items.Count)]);
                at += job.Items.Count;
            }
        }
        catch (Exception e)
        {
            foreach (var job in jobs) job.Done.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }
}
