using System.Text;

namespace TinyLM.Text;

/// <summary>
/// Strict UTF-8 file access shared by the readers: the BOM is stripped, CRLF is treated as LF and
/// invalid UTF-8 is reported with the 1-based line that holds it rather than silently replaced.
/// </summary>
public static class TextFile
{
    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static UTF8Encoding StrictUtf8 => _strictUtf8;

    internal static ReadOnlyMemory<byte> ReadBytesWithoutBom(string path)
    {
        if (!System.IO.File.Exists(path))
            throw Directory.Exists(path) ? new IOException($"{path}: is a folder, not a text file.") : new FileNotFoundException($"{path}: file not found.", path);
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        return bytes.AsMemory(start);
    }

    /// <summary>All lines of a file (line i of the list is line i + 1 of the file), CR stripped.</summary>
    public static List<string> ReadLines(string path) => ReadLines(path, skipInvalid: false, out _);

    /// <summary>
    /// As <see cref="ReadLines(string)"/>; with <paramref name="skipInvalid"/> a line that is not valid UTF-8 reads as
    /// "" (so the other lines keep their numbers) and is listed in <paramref name="invalid"/> (1-based line → problem)
    /// for the caller to skip and count; without it, such a line is a <see cref="DataFormatException"/> naming file and line.
    /// </summary>
    internal static List<string> ReadLines(string path, bool skipInvalid, out Dictionary<int, string> invalid)
    {
        invalid = [];
        ReadOnlyMemory<byte> memory = ReadBytesWithoutBom(path);
        var lines = new List<string>();
        ReadOnlySpan<byte> rest = memory.Span;
        while (rest.Length > 0)
        {
            int nl = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? rest : rest[..nl];
            if (line.Length > 0 && line[^1] == (byte)'\r')
                line = line[..^1];
            if (!skipInvalid)
            {
                lines.Add(Decode(line, path, lines.Count + 1));
            }
            else
            {
                try
                {
                    lines.Add(Decode(line, path, lines.Count + 1));
                }
                catch (DataFormatException ex)
                {
                    invalid[lines.Count + 1] = ex.Problem;
                    lines.Add("");
                }
            }
            rest = nl < 0 ? [] : rest[(nl + 1)..];
        }
        return lines;
    }

    /// <summary>The whole file as one string with CRLF normalised to LF.</summary>
    public static string ReadAllText(string path)
    {
        ReadOnlyMemory<byte> memory = ReadBytesWithoutBom(path);
        string text;
        try
        {
            text = _strictUtf8.GetString(memory.Span);
        }
        catch (DecoderFallbackException)
        {
            // Slow path only on failure: find the line that holds the bad bytes.
            ReadLines(path);
            throw new DataFormatException(path, 0, "invalid UTF-8.");
        }
        return text.Contains('\r', StringComparison.Ordinal) ? text.Replace("\r\n", "\n", StringComparison.Ordinal) : text;
    }

    internal static string Decode(ReadOnlySpan<byte> bytes, string path, int line)
    {
        try
        {
            return _strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            int offset = ex.Index >= 0 ? ex.Index : 0;
            throw new DataFormatException(path, line, $"invalid UTF-8 (byte 0x{(offset < bytes.Length ? bytes[offset] : 0):X2} near column {offset + 1}); the file must be UTF-8 text.", ex);
        }
    }
}
