using System.CommandLine;
using TinyLM.Kernels;

namespace TinyLM.Cli.Common;

/// <summary>
/// Runs a verb's body: applies the shared options every verb handles alike (<c>--threads</c>), and turns an
/// exception into one clear message on stderr and its <see cref="ExitCodes.For">exit code</see>, so every verb fails
/// the same way.
/// </summary>
public static class CommandRunner
{
    public static void SetRunner(this Command command, Func<ParseResult, int> body)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction(parse => Run(() =>
        {
            if (command.Options.Contains(SharedOptions.Threads) && parse.GetValue(SharedOptions.Threads) is int threads)
            {
                if (threads < 1) throw new CliError($"--threads must be ≥ 1, got {threads}.", ExitCodes.Usage);
                // More threads than cores only adds switching (1000 on 2 cores ran 4.4× slower): use the cores, and say so.
                if (threads > Environment.ProcessorCount)
                {
                    Console.Error.WriteLine($"--threads {threads}: this machine has {Environment.ProcessorCount} cores; using {Environment.ProcessorCount}.");
                    threads = Environment.ProcessorCount;
                }
                Threading.MaxThreads = threads;
            }
            return body(parse);
        }));
    }

    public static int Run(Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (Exception e)
        {
            int code = ExitCodes.For(e);
            // A bug gets its stack trace; everything else is a message written for the user.
            Console.Error.WriteLine(code == ExitCodes.Internal ? $"internal error: {e}" : $"error: {UsageMessages.ForUser(e.Message)}");
            return code;
        }
    }
}
