namespace TinyLM.Tests.Cli;

/// <summary>Runs the tinylm CLI in-process with captured standard output and error.</summary>
internal static class CliRunner
{
    private static readonly Lock Gate = new();

    public static (int Exit, string Out, string Err) Run(params string[] args) => RunWithInput(null, args);

    public static (int Exit, string Out, string Err) RunWithInput(string? stdin, params string[] args) =>
        Capture(() => TinyLM.Cli.Program.Main(args), stdin);

    /// <summary>
    /// Runs <paramref name="body"/> with the console swapped for buffers, under the lock that keeps parallel tests
    /// from swapping it under each other.
    /// </summary>
    public static (int Exit, string Out, string Err) Capture(Func<int> body, string? stdin = null)
    {
        lock (Gate)
        {
            var (oldOut, oldErr, oldIn) = (Console.Out, Console.Error, Console.In);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            try
            {
                Console.SetOut(stdout);
                Console.SetError(stderr);
                if (stdin is not null) Console.SetIn(new StringReader(stdin));
                int exit = body();
                return (exit, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
                Console.SetIn(oldIn);
            }
        }
    }
}
