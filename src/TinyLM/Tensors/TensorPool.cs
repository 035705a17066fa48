using System.Numerics;

namespace TinyLM.Tensors;

/// <summary>
/// Process-wide pool of float buffers in power-of-two size buckets. Unlike ArrayPool.Shared it keeps every
/// returned buffer (up to a per-bucket cap), because one training step rents many buffers of the same size and
/// returns them all together at the end of a <see cref="TensorScope"/>.
/// </summary>
public static class TensorPool
{
    private const int MaxPerBucket = 1024;
    private const int MinBucketLog2 = 4;
    private static readonly Stack<float[]>[] _buckets = CreateBuckets();
    private static readonly Lock _lock = new();
    private static long _allocatedBytes;
    private static long _rentCount;

    /// <summary>Bytes of new buffers the pool has allocated since start — flat once a training loop is warm.</summary>
    public static long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    /// <summary>Number of rentals since start.</summary>
    public static long RentCount => Interlocked.Read(ref _rentCount);

    /// <summary>Rents a buffer of at least <paramref name="length"/> floats. Contents are arbitrary.</summary>
    public static float[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Interlocked.Increment(ref _rentCount);
        int b = BucketOf(length);
        lock (_lock)
        {
            if (_buckets[b].TryPop(out var a)) return a;
        }
        int size = 1 << (b + MinBucketLog2);
        Interlocked.Add(ref _allocatedBytes, (long)size * sizeof(float));
        return new float[size];
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/>.</summary>
    public static void Return(float[] buffer)
    {
        int len = buffer.Length;
        if (len < 1 << MinBucketLog2 || !BitOperations.IsPow2(len)) return;
        int b = BitOperations.Log2((uint)len) - MinBucketLog2;
        if (b >= _buckets.Length) return;
        lock (_lock)
        {
            if (_buckets[b].Count < MaxPerBucket) _buckets[b].Push(buffer);
        }
    }

    /// <summary>Drops every pooled buffer (for tests and for releasing memory after training).</summary>
    public static void Trim()
    {
        lock (_lock)
        {
            foreach (var s in _buckets) s.Clear();
        }
    }

    private static int BucketOf(int length)
    {
        int log = length <= 1 << MinBucketLog2 ? MinBucketLog2 : BitOperations.Log2((uint)length - 1) + 1;
        return log - MinBucketLog2;
    }

    private static Stack<float[]>[] CreateBuckets()
    {
        var a = new Stack<float[]>[31 - MinBucketLog2];
        for (int i = 0; i < a.Length; i++) a[i] = new Stack<float[]>();
        return a;
    }
}
