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
