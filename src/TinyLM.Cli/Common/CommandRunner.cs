using System.CommandLine;

namespace TinyLM.Cli.Common;

/// <summary>
/// Runs a verb's body and turns exceptions into one clear message on stderr and an exit code, so
/// every verb fails the same way: bad input is exit 1 with file and line, a bug is exit 70.
/// </summary>
public static class CommandRunner
{
    public static void SetRunner(this Command command, Func<ParseResult, int> body) =>
        command.SetAction(parse => Run(() => body(parse)));

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CliError e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or FileNotFoundException
                                      or DirectoryNotFoundException or IOException or ArgumentException
                                      or InvalidOperationException or UnauthorizedAccessException)
        {
            // Library errors carry their own context (file, line, op, shapes); print them as they are.
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"internal error: {e}");
            return ExitCodes.Internal;
        }
    }
}
