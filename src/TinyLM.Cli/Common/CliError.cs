namespace TinyLM.Cli.Common;

/// <summary>
/// A user-facing failure: bad arguments or bad input. Printed as one clear message (no stack trace),
/// with a non-zero exit code.
/// </summary>
public sealed class CliError(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Process exit codes, one meaning each.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad input data or model file (the message names the file and line).</summary>
    public const int BadInput = 1;
    /// <summary>Bad command-line usage.</summary>
    public const int Usage = 2;
    /// <summary>An unexpected internal error (a bug): reported with its stack trace.</summary>
    public const int Internal = 70;
}
