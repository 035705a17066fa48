using System.CommandLine;

namespace TinyLM.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("tinylm — train, evaluate, compress and ship tiny language models on CPUs.");
        root.Subcommands.Add(Bench.BenchCommand.Create());
        return root.Parse(args).Invoke();
    }
}
