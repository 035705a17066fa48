namespace TinyLM.Tensors;

/// <summary>
/// Seeded, splittable pseudo-random generator: xoshiro256** seeded through SplitMix64. The same seed gives the
/// same stream on every machine; <see cref="Split"/> derives an independent child stream (for a data loader,
/// dropout, each worker) without disturbing reproducibility of the parent beyond one draw.
/// Not thread-safe: give each thread its own split.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private float _spareNormal;
    private bool _hasSpare;

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Rng(ulong seed) => Reseed(seed);

    /// <summary>Restarts the stream as if freshly constructed with <paramref name="seed"/>.</summary>
    public void Reseed(ulong seed)
    {
        _hasSpare = false;
        var seeder = new SplitMix64(seed);
        _s0 = seeder.NextUInt64();
        _s1 = seeder.NextUInt64();
        _s2 = seeder.NextUInt64();
        _s3 = seeder.NextUInt64();
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>An independent child generator; advances this one by one draw.</summary>
    public Rng Split() => new(NextUInt64() ^ 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n), unbiased (Lemire's method).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"Rng.NextInt: bound {n} must be positive.");
        ulong bound = (ulong)n;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 prod = (UInt128)r * bound;
            if ((ulong)prod >= threshold) return (int)(prod >> 64);
        }
    }

    /// <summary>Standard normal sample (Box–Muller, pairs cached).</summary>
    public float NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareNormal;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = (float)(r * Math.Sin(2 * Math.PI * u2));
        _hasSpare = true;
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Fills with normal samples of the given mean and standard deviation.</summary>
    public void Normal(Span<float> destination, float mean = 0f, float std = 1f)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = mean + std * NextNormal();
    }

    /// <summary>Fills with uniform samples in [lo, hi).</summary>
    public void Uniform(Span<float> destination, float lo = 0f, float hi = 1f)
    {
        float w = hi - lo;
        for (int i = 0; i < destination.Length; i++) destination[i] = lo + w * NextFloat();
    }

    /// <summary>Fills with 1 (probability <paramref name="p"/>) or 0.</summary>
    public void Bernoulli(Span<float> destination, float p)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"Rng.Bernoulli: p = {p} is not in [0, 1].");
        for (int i = 0; i < destination.Length; i++) destination[i] = NextFloat() < p ? 1f : 0f;
    }

    /// <summary>A random permutation of 0..n−1.</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p.AsSpan());
        return p;
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
