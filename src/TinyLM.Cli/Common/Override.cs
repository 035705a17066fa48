using System.CommandLine;

namespace TinyLM.Cli.Common;

/// <summary>
/// An optional flag that, when given, replaces one field of a settings record (a model config or training options);
/// when absent, the record's value (the recipe's default) stands. The flag and the field it sets are declared together,
/// so a verb lists its overrides once and applies them all with <see cref="Overrides.Apply{T}"/>.
/// </summary>
public abstract class Override<TTarget>
{
    /// <summary>The flag, as added to the command.</summary>
    public abstract Option Option { get; }

    /// <summary><paramref name="target"/> with the flag's value in its field, or unchanged when the flag is absent.</summary>
    public abstract TTarget Apply(ParseResult parse, TTarget target);

    /// <summary>Whether the user typed the flag.</summary>
    public bool IsGiven(ParseResult parse) => parse?.GetResult(Option) is { Implicit: false };
}

/// <summary>An <see cref="Override{TTarget}"/> of a value-typed field (numbers, switches, enums).</summary>
public sealed class Override<TTarget, TValue> : Override<TTarget>
    where TValue : struct
{
    private readonly Func<TTarget, TValue, TTarget> _set;

    /// <summary>A new flag <paramref name="name"/> that sets a field with <paramref name="set"/>.</summary>
    public Override(string name, string description, Func<TTarget, TValue, TTarget> set)
        : this(new Option<TValue?>(name) { Description = description }, set)
    {
    }

    /// <summary>
    /// An existing flag that sets a field of another record too: one flag that means the same for two kinds of model
    /// (a distillation student's width, classifier or language model).
    /// </summary>
    public Override(Option<TValue?> flag, Func<TTarget, TValue, TTarget> set)
    {
        Flag = flag;
        _set = set;
    }

    /// <summary>The typed flag, for verbs that also read its value directly.</summary>
    public Option<TValue?> Flag { get; }

    public override Option Option => Flag;

    public override TTarget Apply(ParseResult parse, TTarget target) =>
        parse?.GetValue(Flag) is { } value ? _set(target, value) : target;
}

/// <summary>Adding and applying a verb's overrides.</summary>
public static class Overrides
{
    public static T Apply<T>(this IEnumerable<Override<T>> overrides, ParseResult parse, T target) =>
        overrides.Aggregate(target, (current, o) => o.Apply(parse, current));

    /// <summary>Adds <paramref name="options"/> to <paramref name="command"/> in order.</summary>
    public static void AddOptions(this Command command, IEnumerable<Option> options)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in options) command.Options.Add(option);
    }

    /// <summary>The flags of <paramref name="overrides"/>, for <see cref="AddOptions"/>.</summary>
    public static IEnumerable<Option> Options<T>(this IEnumerable<Override<T>> overrides) => overrides.Select(o => o.Option);
}
