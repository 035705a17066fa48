using System.CommandLine;
using TinyLM.Cli.Common;

namespace TinyLM.Cli.Insight;

/// <summary><c>tinylm tokenize MODEL TEXT</c>: the ids a model reads for a text and the piece of text each stands for.</summary>
public static class TokenizeCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A .tlm model (classifier, language model, translator), a GGUF, or a llama2.c .bin with --tokenizer" };
    private static readonly Argument<string> TextArgument = new("TEXT") { Description = "The text to tokenize" };
    private static readonly Option<string?> TokenizerOption = new("--tokenizer") { Description = "Tokenizer file, for model formats that do not carry one (llama2.c)" };

    public static Command Create()
    {
        var command = new Command("tokenize", "Show the token ids and pieces a model reads for a text.");
        command.Arguments.Add(ModelArgument);
        command.Arguments.Add(TextArgument);
        command.Options.Add(TokenizerOption);
        command.AddOptions([SharedOptions.Json]);
        command.SetRunner(parse =>
        {
            string text = parse.GetValue(TextArgument)!;
            if (text.Length == 0) throw new CliError("tokenize: the text is empty; give the text to tokenize.", ExitCodes.Usage);
            var (ids, pieces) = AnyModel.Tokenize(parse.GetValue(ModelArgument)!, parse.GetValue(TokenizerOption), text);
            if (parse.GetValue(SharedOptions.Json))
                JsonLine.Print(new TokenizeOutput(ids, pieces), CliJson.Default.TokenizeOutput);
            else
                for (int i = 0; i < ids.Length; i++) Console.Out.WriteLine($"{ids[i]}\t{Visible(pieces[i])}");
            return ExitCodes.Ok;
        });
        return command;
    }

    // One token per line: a piece holding a line break or tab is shown escaped.
    internal static string Visible(string piece) => piece.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
        .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
