using System.Globalization;
using System.Text;

namespace TinyLM.Training;

/// <summary>
/// Number and padding formatting that matches Python's str.format, so reports line up
/// character for character with scikit-learn's and sacreBLEU's.
/// </summary>
internal static class PyFormat
{
    /// <summary>
    /// Python's "{:.Nf}": rounds the exact binary value half-to-even. .NET rounds exact ties away
    /// from zero (0.03125 -> "0.0313" where Python prints "0.0312"), so ties are settled here.
    /// </summary>
    public static string Fixed(double value, int digits)
    {
        string fmt = "F" + digits.ToString(CultureInfo.InvariantCulture);
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";

        string rounded = value.ToString(fmt, CultureInfo.InvariantCulture);
        // 40 extra digits are exact for every double that could sit on a tie at this precision.
        string exact = Math.Abs(value).ToString("F" + (digits + 40).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int point = exact.IndexOf('.');
        int cut = digits == 0 ? point : point + 1 + digits;
        ReadOnlySpan<char> rest = exact.AsSpan(point + 1 + digits);
        if (rest.Length == 0 || rest[0] != '5' || rest[1..].ContainsAnyExcept('0')) return rounded;

        char last = digits == 0 ? exact[point - 1] : exact[cut - 1];
        if ((last - '0') % 2 == 1) return rounded;

        // Even last digit on an exact tie: Python keeps it, so truncate instead of rounding up.
        string truncated = exact[..cut];
        return value < 0 ? "-" + truncated : truncated;
    }

    /// <summary>Python's "{:>N}": right-aligns, counting code points as Python does.</summary>
    public static string Right(string text, int width)
    {
        int length = CodePoints(text);
        return length >= width ? text : new string(' ', width - length) + text;
    }

    public static int CodePoints(string text)
    {
        int n = 0;
        foreach (Rune _ in text.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>Python's str.isspace for one UTF-16 unit (str.split() splits on these).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    /// <summary>Python's str.split() with no arguments.</summary>
    public static List<string> Split(string text)
    {
        var parts = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && IsSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !IsSpace(text[i])) i++;
            if (i > start) parts.Add(text[start..i]);
        }

        return parts;
    }

    /// <summary>Python's str.rstrip() with no arguments.</summary>
    public static string RStrip(string text)
    {
        int end = text.Length;
        while (end > 0 && IsSpace(text[end - 1])) end--;
        return text[..end];
    }
}
