using System.Text.RegularExpressions;

namespace TinyLM.Cli.Common;

/// <summary>
/// Puts System.CommandLine's parse errors in the user's words: "Cannot parse argument 'x' for option '--top' as
/// expected type 'System.Int32'" names a .NET type the user never typed; the rewrite says what the option takes
/// (a whole number, true or false, the allowed values in lower case, as the help shows them).
/// </summary>
internal static partial class UsageMessages
{
    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|argument) '(?<name>[^']+)' as expected type '(?<type>[^']+)'\.(?<rest>.*)$", RegexOptions.Singleline)]
    private static partial Regex WrongType();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>.+)\]$")]
    private static partial Regex Nullable();

    [GeneratedRegex(@"^(?:[A-Z][A-Za-z0-9]*(?:Config|Options|Settings)): ")]
    private static partial Regex TypePrefix();

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)")]
    private static partial Regex ParameterSuffix();

    [GeneratedRegex(@"System\.Nullable`1\[(?:[A-Za-z0-9_]+\.)*(?<inner>[A-Za-z0-9_]+)\]|\b(?:System|TinyLM)\.(?:[A-Za-z0-9_]+\.)*(?<inner>[A-Za-z0-9_]+)\b")]
    private static partial Regex TypeName();

    /// <summary>
    /// A library error's message in the user's words: without the settings record it came from ("TrainOptions: ",
    /// "CausalLMConfig: "), .NET's "(Parameter 'value')" and namespaces ("TinyLM.Models.EncoderKind" → "EncoderKind").
    /// </summary>
    public static string ForUser(string message)
    {
        string text = ParameterSuffix().Replace(TypePrefix().Replace(message ?? "", ""), "");
        return TypeName().Replace(text, m => m.Groups["inner"].Value);
    }

    /// <summary>The switches (<c>Option&lt;bool&gt;</c>) take yes/no and on/off as well as true/false.</summary>
    public static string[] NormalizeSwitches(string[] args, ISet<string> switches)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(switches);
        var result = (string[])args.Clone();
        for (int i = 0; i < result.Length; i++)
        {
            int eq = result[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && switches.Contains(result[i][..eq]) && Switch(result[i][(eq + 1)..]) is { } inline)
                result[i] = $"{result[i][..eq]}={inline}";
            else if (i > 0 && switches.Contains(result[i - 1]) && Switch(result[i]) is { } value)
                result[i] = value;
        }
        return result;
    }

    [GeneratedRegex(@"^Unrecognized command or argument '(?<value>.*)'\.?$")]
    private static partial Regex Unrecognized();

    /// <summary>
    /// A word after an on/off flag that is not one of its values (<c>--bigrams maybe</c>) reaches the parser as a stray
    /// argument ("Unrecognized command or argument 'maybe'"); said as the flag's bad value instead.
    /// </summary>
    public static string CleanSwitchValue(string message, string[] args, ISet<string> switches)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(switches);
        var match = Unrecognized().Match(message ?? "");
        if (!match.Success) return message ?? "";
        string value = match.Groups["value"].Value;
        for (int i = 1; i < args.Length; i++)
            if (args[i] == value && switches.Contains(args[i - 1]) && !value.StartsWith('-'))
                return $"{args[i - 1]}: '{value}' is not valid; expected true or false (or yes/no, on/off).";
        return message ?? "";
    }

    private static string? Switch(string value) => value.ToLowerInvariant() switch
    {
        "yes" or "on" or "y" or "1" => "true",
        "no" or "off" or "n" or "0" => "false",
        _ => null,
    };

    public static string Clean(string message)
    {
        var match = WrongType().Match(message ?? "");
        if (!match.Success) return message ?? "";
        // An enum's error goes on to list its values ("Did you mean one of the following?" then one per line).
        var choices = match.Groups["rest"].Value.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Skip(1).Select(v => v.ToLowerInvariant()).ToList();
        string expected = choices.Count > 0 ? "one of " + string.Join(", ", choices) : Describe(match.Groups["type"].Value);
        return $"{match.Groups["name"].Value}: '{match.Groups["value"].Value}' is not valid; expected {expected}.";
    }

    private static string Describe(string type)
    {
        var nullable = Nullable().Match(type);
        if (nullable.Success) type = nullable.Groups["inner"].Value;
        return type switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.UInt32" or "System.UInt64" => "a whole number ≥ 0",
            "System.Single" or "System.Double" => "a number",
            "System.Boolean" => "true or false",
            _ => "a " + type[(type.LastIndexOf('.') + 1)..].ToLowerInvariant(),
        };
    }
}
