namespace TinyLM.Nn;

/// <summary>
/// Preallocated keys and values of one attention layer for incremental decoding: K and V are
/// (B, H_kv, MaxLength, D), filled left to right; <see cref="Length"/> positions are valid. Scratch buffers for
/// the step grow only, so decoding token by token allocates nothing after the first step. Every sequence in the
/// batch advances in lockstep (same number of positions). Create with
/// <see cref="MultiHeadAttention.CreateCache"/>.
/// </summary>
public sealed class KvCache
{
    internal float[] Q = [];
    internal float[] KNew = [];
    internal float[] VNew = [];
    internal float[] Scores = [];
    internal float[] Attn = [];

    /// <summary>A cache for <paramref name="batch"/> sequences of up to <paramref name="maxLength"/> positions.</summary>
    public KvCache(int batch, int kvHeads, int headDim, int maxLength)
    {
        if (batch <= 0 || kvHeads <= 0 || headDim <= 0 || maxLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(batch), $"KvCache: invalid sizes batch={batch} kvHeads={kvHeads} headDim={headDim} maxLength={maxLength}.");
        Batch = batch;
        KvHeads = kvHeads;
        HeadDim = headDim;
        MaxLength = maxLength;
        long n = (long)batch * kvHeads * maxLength * headDim;
        if (n > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(maxLength), $"KvCache: {n} floats per buffer is too large.");
        Keys = new float[n];
        Values = new float[n];
    }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>H_kv.</summary>
    public int KvHeads { get; }

    /// <summary>D.</summary>
    public int HeadDim { get; }

    /// <summary>Capacity in positions.</summary>
    public int MaxLength { get; }

    /// <summary>Valid positions so far.</summary>
    public int Length { get; internal set; }

    /// <summary>(B, H_kv, MaxLength, D) keys (after RoPE).</summary>
    public float[] Keys { get; }

    /// <summary>(B, H_kv, MaxLength, D) values.</summary>
    public float[] Values { get; }

    /// <summary>Forgets every position (the buffers are reused).</summary>
    public void Reset() => Length = 0;

    /// <summary>Drops positions beyond <paramref name="length"/> (e.g. to reuse a shared prompt prefix).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"KvCache.Truncate: {length} not in [0, {Length}].");
        Length = length;
    }

    internal static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }
}
