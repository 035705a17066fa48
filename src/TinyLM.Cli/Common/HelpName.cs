using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace TinyLM.Cli.Common;

/// <summary>
/// Help says "Usage: tinylm …" however the program was started: System.CommandLine names the root command after the
/// executable, which is TinyLM.Cli under `dotnet run` and as a dotnet tool (the assembly cannot be called tinylm: it
/// would clash with the TinyLM library, assembly names being case-insensitive).
/// </summary>
internal sealed class HelpName(HelpAction inner) : SynchronousCommandLineAction
{
    public const string Command = "tinylm";

    public static void Apply(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().First();
        if (help.Action is HelpAction action) help.Action = new HelpName(action);
    }

    /// <summary>As help itself: `VERB --help` shows help even when the verb's required options are missing.</summary>
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var configuration = parseResult.InvocationConfiguration;
        var output = configuration.Output;
        var buffer = new StringWriter();
        configuration.Output = buffer;
        int exit;
        try { exit = inner.Invoke(parseResult); }
        finally { configuration.Output = output; }
        string text = buffer.ToString();
        string executable = RootCommand.ExecutableName;
        if (executable != Command) text = text.Replace($"  {executable} ", $"  {Command} ", StringComparison.Ordinal);
        output.Write(text);
        return exit;
    }
}
