namespace TinyLM.Cli.Common;

/// <summary>Process exit codes, one meaning each, and the one mapping from a failure to its code (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad input data or model file (the message names the file and line).</summary>
    public const int BadInput = 1;
    /// <summary>Bad command-line usage: an unknown flag, a missing argument, a value out of range.</summary>
    public const int Usage = 2;
    /// <summary>Training stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report an interrupted command).</summary>
    public const int Interrupted = 130;
    /// <summary>An unexpected internal error (a bug): reported with its stack trace.</summary>
    public const int Internal = 70;

    /// <summary>
    /// The exit code of a failure. Library errors about files, formats and values carry their own context (file,
    /// line, op, shapes) and are bad input; anything else is a bug.
    /// </summary>
    public static int For(Exception error) => error switch
    {
        CliError e => e.ExitCode,
        InvalidDataException or FormatException or IOException or ArgumentException or InvalidOperationException
            or UnauthorizedAccessException => BadInput,
        _ => Internal,
    };
}
