using System.CommandLine;

namespace TinyLM.Cli.Common;

/// <summary>
/// <c>--resume</c> takes the model, its config and its tokenizer from the checkpoint. A flag the user typed that
/// says otherwise (another encoder, width or depth) would be silently ignored while the banner showed it, so it is an
/// error naming each such flag and the checkpoint's value.
/// </summary>
public static class ResumeCheck
{
    /// <summary>A flag and what the checkpoint holds for it, compared when the user typed the flag.</summary>
    public readonly record struct Setting(Option Option, object? Given, object? Stored);

    /// <summary>
    /// Fails when a typed flag among <paramref name="overrides"/> (applied to the checkpoint's <paramref name="stored"/>
    /// config, it would change it) or <paramref name="settings"/> contradicts the checkpoint <paramref name="path"/>.
    /// </summary>
    public static void Refuse<T>(string path, ParseResult parse, IEnumerable<Override<T>> overrides, T stored, params IEnumerable<Setting> settings)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var clashes = overrides.Where(o => o.IsGiven(parse) && !EqualityComparer<T>.Default.Equals(o.Apply(parse, stored), stored))
            .Select(o => o.Option.Name)
            .Concat(settings.Where(s => parse.GetResult(s.Option) is { Implicit: false } && !Equals(s.Given, s.Stored))
                .Select(s => $"{s.Option.Name} {s.Given} (the checkpoint has {s.Stored})"))
            .ToList();
        if (clashes.Count > 0)
            throw new CliError($"--resume {path}: {string.Join(", ", clashes)} contradict the checkpoint, which continues with its own model and config; " +
                               "drop those flags to resume, or start a new run without --resume.", ExitCodes.Usage);
    }
}
