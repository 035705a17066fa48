namespace TinyLM.Text;

/// <summary>
/// Windows-1252 decoding without System.Text.Encoding.CodePages: bytes 0x00–0x7F and 0xA0–0xFF
/// are Latin-1, and the 32 bytes 0x80–0x9F map through a fixed table. The five undefined bytes
/// map to the C1 control of the same value, as the WHATWG encoding standard does.
/// </summary>
internal static class Windows1252
{
    private static readonly char[] _high =
    [
        '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
        '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
        '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
        '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
    ];

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, bytes.ToArray(), static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++)
            {
                byte b = src[i];
                dst[i] = b is >= 0x80 and < 0xA0 ? _high[b - 0x80] : (char)b;
            }
        });
    }
}
