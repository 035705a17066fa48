using System.Text.RegularExpressions;

namespace TinyLM.Training;

/// <summary>
/// sacreBLEU's default "13a" tokenizer (the mteval-v13a.pl rules used by WMT): unescape a few
/// XML entities, split off punctuation and symbols, split periods and commas unless they sit
/// inside a number, split a dash that follows a digit, then collapse whitespace.
/// </summary>
public static partial class BleuTokenizer13a
{
    public static string Tokenize(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = line.Replace("<skipped>", "", StringComparison.Ordinal)
            .Replace("-\n", "", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal);
        if (line.Contains('&', StringComparison.Ordinal))
        {
            line = line.Replace("&quot;", "\"", StringComparison.Ordinal)
                .Replace("&amp;", "&", StringComparison.Ordinal)
                .Replace("&lt;", "<", StringComparison.Ordinal)
                .Replace("&gt;", ">", StringComparison.Ordinal);
        }

        line = " " + line + " ";
        line = Symbols().Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit().Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return string.Join(' ', PyFormat.Split(line));
    }

    // Punctuation and symbols of the ASCII range: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])", RegexOptions.CultureInvariant)]
    private static partial Regex Symbols();

    [GeneratedRegex(@"([^0-9])([\.,])", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([\.,])([^0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)", RegexOptions.CultureInvariant)]
    private static partial Regex DashAfterDigit();
}
