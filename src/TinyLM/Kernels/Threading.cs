namespace TinyLM.Kernels;

/// <summary>
/// A unit of parallel work: <see cref="Run"/> is called once for every index in [0, count).
/// Kernels keep one instance per calling thread so a parallel call allocates nothing.
/// Each index must write outputs that no other index writes; then the result does not depend on
/// which thread ran which index, nor on how many threads there were.
/// </summary>
public abstract class ParallelJob
{
    /// <summary>Does the work of one index.</summary>
    public abstract void Run(int index);
}

/// <summary>
/// Thread budget and a low-overhead parallel-for for kernels. Worker threads are created once and
/// kept: they spin briefly after each job (kernels tend to come in bursts) and then sleep.
/// The calling thread takes part, so MaxThreads = 1 means no worker is ever woken.
/// A call made while the pool is busy (from another thread, or nested inside a job) runs inline on
/// the caller: slower, never wrong, never a deadlock.
/// </summary>
public static class Threading
{
    private static int _maxThreads = ReadThreadsFromEnvironment();

    /// <summary>
    /// Threads a kernel may use, caller included. Defaults to <see cref="Environment.ProcessorCount"/>,
    /// or to TINYLM_THREADS when that environment variable holds a positive integer.
    /// </summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref _maxThreads);
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "Threading.MaxThreads must be at least 1.");
            Volatile.Write(ref _maxThreads, value);
        }
    }

    [ThreadStatic] private static ActionJob? _actionJob;

    /// <summary>Runs body(i) for i in [0, count) on up to <see cref="MaxThreads"/> threads.</summary>
    public static void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        // A nested call on this thread finds the cached job in use and takes a fresh one.
        var job = _actionJob is { Body: null } cached ? cached : (_actionJob = new ActionJob());
        job.Body = body;
        try { For(count, job, MaxThreads); }
        finally { job.Body = null; }
    }

    /// <summary>Runs job.Run(i) for i in [0, count) on up to <see cref="MaxThreads"/> threads.</summary>
    public static void For(int count, ParallelJob job) => For(count, job, MaxThreads);

    /// <summary>Runs job.Run(i) for i in [0, count) on up to <paramref name="threads"/> threads.</summary>
    public static void For(int count, ParallelJob job, int threads)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (count < 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, "Threading.For: count must be non-negative.");
        // More threads than cores only adds contention (results never depend on it); two are kept even on
        // one core so the pool is exercised everywhere.
        threads = Math.Min(Math.Min(threads, count), Math.Max(2, Environment.ProcessorCount));
        if (threads <= 1 || !Pool.TryRun(count, job, threads))
            for (int i = 0; i < count; i++)
                job.Run(i);
    }

    private static int ReadThreadsFromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable("TINYLM_THREADS");
        return int.TryParse(text, out int n) && n > 0 ? n : Environment.ProcessorCount;
    }

    private sealed class ActionJob : ParallelJob
    {
        public Action<int>? Body;
        public override void Run(int index) => Body!(index);
    }

    /// <summary>The persistent workers. One job at a time; indices are handed out by an atomic counter.</summary>
    private static class Pool
    {
        // Tens of microseconds of spinning before a worker goes to sleep: long enough to catch the next GEMM
        // of a layer, short enough not to steal much from other processes. Each check spins only briefly,
        // so a new job is seen within a fraction of a microsecond.
        private const int SpinIterations = 40_000;

        private static readonly object _gate = new();
        private static Thread[] _workers = [];
        private static int _busy;
        private static long _generation;
        private static ParallelJob? _job;
        private static int _count;
        private static int _next;
        private static int _wanted;     // workers (not counting the caller) that take part in this job
        private static int _open;       // 1 while late workers may still join the current job
        private static int _active;     // workers that joined and have not finished
        private static Exception? _error;

        [ThreadStatic] private static bool _isWorker;

        public static bool TryRun(int count, ParallelJob job, int threads)
        {
            if (_isWorker || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
                return false;
            try
            {
                EnsureWorkers(threads - 1);
                _job = job;
                _count = count;
                _next = 0;
                _error = null;
                _wanted = threads - 1;
                Volatile.Write(ref _open, 1);
                lock (_gate)
                {
                    _generation++;
                    Monitor.PulseAll(_gate);
                }
                Work();
                // Close the job before waiting: a worker that the OS has not scheduled yet must not make the
                // caller wait for it (on a busy machine that costs milliseconds). Interlocked.Exchange is a full
                // fence, so either a late worker sees the job closed, or we see it in _active and wait for it.
                Interlocked.Exchange(ref _open, 0);
                // Joined workers are running, so they finish soon: spin tightly first, then back off.
                for (int i = 0; Volatile.Read(ref _active) != 0; i++)
                {
                    if (i < 10_000) Thread.SpinWait(1);
                    else Thread.Yield();
                }
                _job = null;
                if (_error is { } error)
                    throw new AggregateException("Threading.For: a parallel job failed.", error);
                return true;
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        private static void Work()
        {
            var job = _job!;
            int count = _count;
            try
            {
                for (int i = Interlocked.Increment(ref _next) - 1; i < count; i = Interlocked.Increment(ref _next) - 1)
                    job.Run(i);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
                Volatile.Write(ref _next, count);
            }
        }

        private static void EnsureWorkers(int wanted)
        {
            if (_workers.Length >= wanted)
                return;
            // Only the thread holding _busy gets here, and no worker is running a job, so growing is safe.
            var grown = new Thread[wanted];
            Array.Copy(_workers, grown, _workers.Length);
            long generation = Volatile.Read(ref _generation);
            for (int i = _workers.Length; i < wanted; i++)
            {
                int index = i;
                grown[i] = new Thread(() => WorkerLoop(index, generation))
                {
                    IsBackground = true,
                    Name = $"TinyLM worker {i + 1}",
                };
                grown[i].Start();
            }
            _workers = grown;
        }

        private static void WorkerLoop(int index, long seen)
        {
            _isWorker = true;
            while (true)
            {
                int spins = 0;
                while (Volatile.Read(ref _generation) == seen)
                {
                    if (spins++ < SpinIterations)
                    {
                        Thread.SpinWait(1);
                        continue;
                    }
                    lock (_gate)
                        while (Volatile.Read(ref _generation) == seen)
                            Monitor.Wait(_gate);
                }
                seen = Volatile.Read(ref _generation);
                if (index >= Volatile.Read(ref _wanted))
                    continue;
                Interlocked.Increment(ref _active);
                if (Volatile.Read(ref _open) == 1)
                    Work();
                Interlocked.Decrement(ref _active);
            }
        }
    }
}
