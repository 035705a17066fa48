using System.Globalization;
using System.Text;

namespace TinyLM.Text;

/// <summary>
/// Splits text into the chunks that byte-level BPE merges inside of (merges never cross a chunk
/// boundary): a run of letters, of digits or of other symbols, each optionally preceded by one
/// space, and runs of whitespace (the last space of a run stays with the word after it). This
/// is the GPT-2 scheme without its English contraction rules.
/// </summary>
internal static class ByteLevelPreTokenizer
{
    private enum CharClass : byte { Letter, Digit, Space, Other }

    /// <summary>Appends (start, length) of each chunk of <paramref name="text"/>; the chunks tile the text.</summary>
    public static void Split(string text, List<(int Start, int Length)> chunks)
    {
        int n = text.Length;
        int i = 0;
        while (i < n)
        {
            CharClass c = ClassAt(text, i, out int width);
            if (c == CharClass.Space)
            {
                int j = i + width;
                while (j < n && ClassAt(text, j, out int w) == CharClass.Space)
                    j += w;
                bool spaceBeforeWord = j < n && text[j - 1] == ' ';
                if (spaceBeforeWord && j - 1 > i)
                {
                    chunks.Add((i, j - 1 - i));
                    i = j - 1;
                    continue;
                }
                if (spaceBeforeWord)
                {
                    CharClass next = ClassAt(text, j, out int w);
                    int k = RunEnd(text, j + w, next);
                    chunks.Add((i, k - i));
                    i = k;
                    continue;
                }
                chunks.Add((i, j - i));
                i = j;
                continue;
            }
            int end = RunEnd(text, i + width, c);
            chunks.Add((i, end - i));
            i = end;
        }
    }

    private static int RunEnd(string text, int from, CharClass c)
    {
        int k = from;
        while (k < text.Length && ClassAt(text, k, out int w) == c)
            k += w;
        return k;
    }

    private static CharClass ClassAt(string text, int index, out int width)
    {
        char ch = text[index];
        if (ch < 0x80)
        {
            width = 1;
            if ((uint)((ch | 0x20) - 'a') <= 'z' - 'a')
                return CharClass.Letter;
            if ((uint)(ch - '0') <= 9)
                return CharClass.Digit;
            return ch is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' ? CharClass.Space : CharClass.Other;
        }
        if (Rune.DecodeFromUtf16(text.AsSpan(index), out Rune r, out width) != System.Buffers.OperationStatus.Done)
        {
            width = 1;
            return CharClass.Other;
        }
        if (Rune.IsWhiteSpace(r))
            return CharClass.Space;
        UnicodeCategory cat = Rune.GetUnicodeCategory(r);
        return cat switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
                or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Digit,
            _ => CharClass.Other,
        };
    }
}
