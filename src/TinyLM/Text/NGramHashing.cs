using System.Text;

namespace TinyLM.Text;

/// <summary>Deterministic hashing of word n-grams into buckets (fastText-style bag features).</summary>
public static class NGramHashing
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;

    /// <summary>32-bit FNV-1a of a byte sequence.</summary>
    public static uint Fnv1a(ReadOnlySpan<byte> bytes, uint hash = FnvOffset)
    {
        foreach (byte b in bytes)
            hash = (hash ^ b) * FnvPrime;
        return hash;
    }

    /// <summary>FNV-1a of the UTF-8 bytes of a string.</summary>
    public static uint Fnv1a(string text, uint hash = FnvOffset)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<byte> buffer = stackalloc byte[256];
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = max > buffer.Length ? new byte[max] : null;
        Span<byte> dst = rented ?? buffer;
        int n = Encoding.UTF8.GetBytes(text, dst);
        return Fnv1a(dst[..n], hash);
    }

    /// <summary>Bucket in [0, buckets) for the word pair (a, b); the pair is hashed as "a b".</summary>
    public static int BigramBucket(string a, string b, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(buckets);
        uint h = Fnv1a(a);
        h = (h ^ (byte)' ') * FnvPrime;
        h = Fnv1a(b, h);
        return (int)(h % (uint)buckets);
    }
}
