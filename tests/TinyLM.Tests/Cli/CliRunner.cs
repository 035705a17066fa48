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
    /// from swapping it under each other. The thread count a verb's --threads sets is process-wide, so it is put
    /// back afterwards: one test's --threads 1 must not slow every later test down.
    /// </summary>
    public static (int Exit, string Out, string Err) Capture(Func<int> body, string? stdin = null)
    {
        lock (Gate)
        {
            var (oldOut, oldErr, oldIn) = (Console.Out, Console.Error, Console.In);
            int oldThreads = TinyLM.Kernels.Threading.MaxThreads;
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
                TinyLM.Kernels.Threading.MaxThreads = oldThreads;
            }
        }
    }
}
