using System.Threading.Channels;
using TinyLM.Models;

namespace TinyLM.Cli.Serve;

/// <summary>
/// Dynamic batching for one classifier: concurrent requests wait in a queue; one worker takes the first, gathers every
/// request that arrives within <c>wait</c> (or until <c>maxBatch</c> texts), runs one batched forward, and hands each
/// request its rows. The worker is the only caller of the model, so the model never runs twice at once.
/// </summary>
public sealed class ClassifyBatcher : IAsyncDisposable
{
    private readonly record struct Job(IReadOnlyList<string> Texts, TaskCompletionSource<float[][]> Done, CancellationToken Cancel);

    private readonly TextClassifier _model;
    private readonly int _maxBatch;
    private readonly TimeSpan _wait;
    private readonly ServeMetrics _metrics;
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _worker;

    public ClassifyBatcher(TextClassifier model, int maxBatch, TimeSpan wait, ServeMetrics metrics)
    {
        _model = model;
        _maxBatch = maxBatch;
        _wait = wait;
        _metrics = metrics;
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The class probabilities of <paramref name="texts"/>, computed in a batch with other waiting requests.</summary>
    public Task<float[][]> PredictAsync(IReadOnlyList<string> texts, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Job(texts, done, cancel)))
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
            int texts = 0;
            var deadline = DateTime.UtcNow + _wait;
            while (texts < _maxBatch)
            {
                if (reader.TryRead(out var job))
                {
                    if (job.Cancel.IsCancellationRequested) { job.Done.TrySetCanceled(job.Cancel); continue; }
                    jobs.Add(job);
                    texts += job.Texts.Count;
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
            Run(jobs, texts);
        }
    }

    private void Run(List<Job> jobs, int count)
    {
        var all = new List<string>(count);
        foreach (var job in jobs) all.AddRange(job.Texts);
        try
        {
            var probabilities = _model.PredictProbabilities(all, batchSize: Math.Max(1, all.Count));
            _metrics.Batch(all.Count);
            int at = 0;
            foreach (var job in jobs)
            {
                job.Done.TrySetResult(probabilities[at..(at + job.Texts.Count)]);
                at += job.Texts.Count;
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
