using System.CommandLine;
using System.CommandLine.Parsing;
using TinyLM.Cli.Common;

namespace TinyLM.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // The library never writes to the console: a TINYLM_SIMD it could not follow as written is said here, once.
        if (Kernels.Simd.Warning is { } simd) Console.Error.WriteLine($"warning: {simd}");
        var root = BuildRoot();
        var switches = Switches(root);
        var parse = root.Parse(UsageMessages.NormalizeSwitches(args, switches));
        if (parse.Errors.Count == 0) return parse.Invoke();
        // A usage error: say what is wrong and where the help is, rather than print the whole help (exit 2, docs/cli.md).
        foreach (var error in parse.Errors)
            Console.Error.WriteLine($"error: {UsageMessages.CleanSwitchValue(UsageMessages.Clean(error.Message), args, switches)}");
        Console.Error.WriteLine($"see: {CommandPath(parse.CommandResult)} --help");
        return ExitCodes.Usage;
    }

    /// <summary>The verb tree; each verb lives in its own folder and exposes a static Create().</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("tinylm — train, evaluate, compress and ship tiny language models on CPUs.");
        root.Subcommands.Add(Train.TrainCommand.Create());
        root.Subcommands.Add(Classify.EvalCommand.Create());
        root.Subcommands.Add(Classify.PredictCommand.Create());
        root.Subcommands.Add(Insight.ExplainCommand.Create());
        root.Subcommands.Add(Insight.TokenizeCommand.Create());
        root.Subcommands.Add(Classify.DemoCommand.Create());
        root.Subcommands.Add(Classify.TuneClassifyCommand.Create());
        root.Subcommands.Add(Bench.BenchCommand.Create());
        root.Subcommands.Add(Generate.GenerateCommand.Create());
        root.Subcommands.Add(Insight.ScoreCommand.Create());
        root.Subcommands.Add(Export.ExportCommand.Create());
        root.Subcommands.Add(Compress.QuantizeCommand.Create());
        root.Subcommands.Add(Compress.PruneCommand.Create());
        root.Subcommands.Add(Compress.DistillCommand.Create());
        root.Subcommands.Add(Translate.TranslateCommand.Create());
        root.Subcommands.Add(Translate.BleuCommand.Create());
        root.Subcommands.Add(Serve.ServeCommand.Create());
        HelpName.Apply(root);
        LowerCaseEnumHelp(root);
        return root;
    }

    // An option whose values are an enum shows them as typed, "<bag|bigru|…>", not as the enum's names "<Bag|BiGru|…>"
    // (System.CommandLine's default); the parser accepts them in any case.
    internal static void LowerCaseEnumHelp(Command command)
    {
        foreach (var option in command.Options)
        {
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (type.IsEnum && option.HelpName is null)
                option.HelpName = string.Join('|', Enum.GetNames(type).Select(n => n.ToLowerInvariant()).Order(StringComparer.Ordinal));
        }
        foreach (var sub in command.Subcommands) LowerCaseEnumHelp(sub);
    }

    // Every on/off flag of the tree, by name and alias, so that "--bigrams yes" reads as "--bigrams true".
    internal static HashSet<string> Switches(Command command)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var option in command.Options)
            if (option is not (System.CommandLine.Help.HelpOption or VersionOption) && (option.ValueType == typeof(bool) || option.ValueType == typeof(bool?)))
            {
                names.Add(option.Name);
                foreach (var alias in option.Aliases) names.Add(alias);
            }
        foreach (var sub in command.Subcommands) names.UnionWith(Switches(sub));
        return names;
    }

    // "tinylm train classify": the command the user typed, whatever the executable is called.
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? r = command; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "tinylm" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
