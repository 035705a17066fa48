using System.Buffers.Binary;

namespace TinyLM.Tests.Reliability.Fuzz;

/// <summary>
/// Byte-level mutations of a valid file, the kinds that find reader bugs: bit flips, truncation, extension, a
/// duplicated chunk, zeroed ranges, and integers overwritten with boundary values (huge counts and lengths, negative
/// sizes, NaN/infinity floats) at random positions, which hit header fields of small files often.
/// </summary>
internal static class Mutator
{
    private static readonly uint[] Interesting =
    [
        0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1u << 30, 1u << 20,
        0x7FC0_0000, 0x7F80_0000, 0xFF80_0000, // NaN, +inf, -inf as float32
    ];

    /// <summary>A mutated copy of <paramref name="seed"/> and a description that reproduces the mutation in a report.</summary>
    public static (byte[] Bytes, string Mutation) Mutate(byte[] seed, Random rng)
    {
        int kinds = 1 + rng.Next(3); // stacked mutations reach states a single one cannot
        byte[] bytes = seed;
        var applied = new List<string>();
        for (int k = 0; k < kinds; k++)
        {
            (bytes, string what) = One(bytes, rng);
            applied.Add(what);
        }

        return (bytes, string.Join(" + ", applied));
    }

    private static (byte[], string) One(byte[] b, Random rng)
    {
        if (b.Length == 0) return ([.. b, (byte)rng.Next(256)], "append 1 byte");
        int at = rng.Next(b.Length);
        switch (rng.Next(7))
        {
            case 0:
            {
                var c = (byte[])b.Clone();
                int flips = 1 + rng.Next(8);
                for (int i = 0; i < flips; i++) c[rng.Next(c.Length)] ^= (byte)(1 << rng.Next(8));
                return (c, $"{flips} bit flips");
            }
            case 1:
                return (b[..at], $"truncate to {at}");
            case 2:
            {
                int extra = 1 + rng.Next(64);
                var tail = new byte[extra];
                rng.NextBytes(tail);
                return ([.. b, .. tail], $"append {extra} random bytes");
            }
            case 3:
            {
                int length = 1 + rng.Next(Math.Min(256, b.Length - at));
                return ([.. b[..(at + length)], .. b[at..(at + length)], .. b[(at + length)..]], $"duplicate [{at}, {at + length})");
            }
            case 4:
            {
                var c = (byte[])b.Clone();
                int length = 1 + rng.Next(Math.Min(64, c.Length - at));
                c.AsSpan(at, length).Clear();
                return (c, $"zero [{at}, {at + length})");
            }
            case 5 when at + 4 <= b.Length:
            {
                var c = (byte[])b.Clone();
                uint value = Interesting[rng.Next(Interesting.Length)];
                BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(at), value);
                return (c, $"uint32 0x{value:X} at {at}");
            }
            case 6 when at + 8 <= b.Length:
            {
                var c = (byte[])b.Clone();
                ulong value = rng.Next(2) == 0 ? ulong.MaxValue >> rng.Next(64) : Interesting[rng.Next(Interesting.Length)];
                BinaryPrimitives.WriteUInt64LittleEndian(c.AsSpan(at), value);
                return (c, $"uint64 0x{value:X} at {at}");
            }
            default:
            {
                // A digit changed in place: in a JSON header this is a shape, offset or config size off by a lot.
                var c = (byte[])b.Clone();
                for (int i = 0; i < 64 && at + i < c.Length; i++)
                {
                    if (c[at + i] is >= (byte)'0' and <= (byte)'9')
                    {
                        c[at + i] = (byte)('0' + rng.Next(10));
                        return (c, $"digit at {at + i}");
                    }
                }

                return (c, "no digit found (unchanged)");
            }
        }
    }
}
