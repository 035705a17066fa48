using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace TinyLM.Cli.Serve;

/// <summary>Counters behind GET /metrics (Prometheus text format): requests, errors, latency, batch sizes, tokens.</summary>
public sealed class ServeMetrics
{
    private static readonly double[] LatencyBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    private readonly ConcurrentDictionary<(string Path, int Status), long> _requests = new();
    private readonly long[] _latency = new long[LatencyBuckets.Length + 1];
    private readonly long[] _batches = new long[BatchBuckets.Length + 1];
    private long _latencyMicros, _latencyCount, _batchTexts, _batchCount, _tokens, _tokenMicros;

    public void Request(string path, int status, TimeSpan elapsed)
    {
        _requests.AddOrUpdate((path, status), 1, (_, n) => n + 1);
        Interlocked.Increment(ref _latency[Bucket(LatencyBuckets, elapsed.TotalSeconds)]);
        Interlocked.Add(ref _latencyMicros, (long)(elapsed.TotalMilliseconds * 1000));
        Interlocked.Increment(ref _latencyCount);
    }

    public void Batch(int texts)
    {
        Interlocked.Increment(ref _batches[Bucket(BatchBuckets, texts)]);
        Interlocked.Add(ref _batchTexts, texts);
        Interlocked.Increment(ref _batchCount);
    }

    public void Generated(int tokens, double seconds)
    {
        Interlocked.Add(ref _tokens, tokens);
        Interlocked.Add(ref _tokenMicros, (long)(seconds * 1e6));
    }

    private static int Bucket<T>(T[] bounds, T value) where T : IComparable<T>
    {
        int i = 0;
        while (i < bounds.Length && value.CompareTo(bounds[i]) > 0) i++;
        return i;
    }

    public string Render()
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.Append("# TYPE tinylm_requests_total counter\n");
        foreach (var ((path, status), n) in _requests.OrderBy(p => p.Key.Path, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            s.Append(c, $"tinylm_requests_total{{path=\"{path}\",status=\"{status}\"}} {n}\n");
        s.Append("# TYPE tinylm_errors_total counter\n");
        s.Append(c, $"tinylm_errors_total {_requests.Where(p => p.Key.Status >= 400).Sum(p => p.Value)}\n");
        Histogram(s, "tinylm_request_seconds", LatencyBuckets.Select(b => b.ToString(c)).ToArray(), _latency, Volatile.Read(ref _latencyMicros) / 1e6, Volatile.Read(ref _latencyCount));
        Histogram(s, "tinylm_batch_texts", BatchBuckets.Select(b => b.ToString(c)).ToArray(), _batches, Volatile.Read(ref _batchTexts), Volatile.Read(ref _batchCount));
        s.Append("# TYPE tinylm_generated_tokens_total counter\n");
        s.Append(c, $"tinylm_generated_tokens_total {Volatile.Read(ref _tokens)}\n");
        double seconds = Volatile.Read(ref _tokenMicros) / 1e6;
        s.Append("# TYPE tinylm_generate_tokens_per_second gauge\n");
        s.Append(c, $"tinylm_generate_tokens_per_second {(seconds > 0 ? Volatile.Read(ref _tokens) / seconds : 0):F1}\n");
        return s.ToString();
    }

    private static void Histogram(StringBuilder s, string name, string[] bounds, long[] counts, double sum, long count)
    {
        var c = CultureInfo.InvariantCulture;
        s.Append(c, $"# TYPE {name} histogram\n");
        long cumulative = 0;
        for (int i = 0; i < bounds.Length; i++)
        {
            cumulative += Volatile.Read(ref counts[i]);
            s.Append(c, $"{name}_bucket{{le=\"{bounds[i]}\"}} {cumulative}\n");
        }
        cumulative += Volatile.Read(ref counts[^1]);
        s.Append(c, $"{name}_bucket{{le=\"+Inf\"}} {cumulative}\n{name}_sum {sum}\n{name}_count {count}\n");
    }
}
