namespace TinyLM.Cli.Common;

/// <summary>
/// A user-facing failure: bad arguments or bad input. Printed as one clear message (no stack trace),
/// with a non-zero exit code.
/// </summary>
public sealed class CliError(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>
    /// Runs a library check (a config's or options' <c>Validate</c>, a compatibility check) that throws
    /// <see cref="ArgumentException"/> for a bad value, and reports that as a <see cref="CliError"/> with
    /// <paramref name="exitCode"/>: the same exception means a usage error when the value came from a flag, but bad
    /// input when it came from a file, and only the verb knows which.
    /// </summary>
    public static T Check<T>(Func<T> check, int exitCode = ExitCodes.Usage, string context = "")
    {
        ArgumentNullException.ThrowIfNull(check);
        try
        {
            return check();
        }
        catch (ArgumentException e)
        {
            throw new CliError(context + e.Message, exitCode);
        }
    }

    /// <summary><see cref="Check{T}"/> for checks that return nothing.</summary>
    public static void Check(Action check, int exitCode = ExitCodes.Usage, string context = "") =>
        Check(() => { check(); return true; }, exitCode, context);
}
