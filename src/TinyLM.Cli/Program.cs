using System.CommandLine;

namespace TinyLM.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // The library never writes to the console: a TINYLM_SIMD it could not follow as written is said here, once.
        if (Kernels.Simd.Warning is { } simd) Console.Error.WriteLine($"warning: {simd}");
        return BuildRoot().Parse(args).Invoke();
    }

    /// <summary>The verb tree; each verb lives in its own folder and exposes a static Create().</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("tinylm — train, evaluate, compress and ship tiny language models on CPUs.");
        root.Subcommands.Add(Train.TrainCommand.Create());
        root.Subcommands.Add(Classify.EvalCommand.Create());
        root.Subcommands.Add(Classify.PredictCommand.Create());
        root.Subcommands.Add(Classify.DemoCommand.Create());
        root.Subcommands.Add(Bench.BenchCommand.Create());
        root.Subcommands.Add(Lm.GenerateCommand.Create());
        root.Subcommands.Add(Export.ExportCommand.Create());
        root.Subcommands.Add(Compress.QuantizeCommand.Create());
        root.Subcommands.Add(Compress.PruneCommand.Create());
        root.Subcommands.Add(Compress.DistillCommand.Create());
        root.Subcommands.Add(Translate.TranslateCommand.Create());
        root.Subcommands.Add(Translate.BleuCommand.Create());
        return root;
    }
}
