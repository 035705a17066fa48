using System.CommandLine;
using System.Globalization;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Text;
using TinyLM.Training.Insight;

namespace TinyLM.Cli.Insight;

/// <summary><c>tinylm score MODEL --text T | --file F</c>: each token's surprisal under a causal language model, the total and the perplexity.</summary>
public static class ScoreCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A .tlm language model, a GGUF, or a llama2.c .bin with --tokenizer" };
    private static readonly Option<string?> TextOption = new("--text") { Description = "The text to score" };
    private static readonly Option<string?> FileOption = new("--file") { Description = "A UTF-8 file whose whole content is the text to score" };
    private static readonly Option<string?> TokenizerOption = new("--tokenizer") { Description = "Tokenizer file, for model formats that do not carry one (llama2.c)" };

    public static Command Create()
    {
        var command = new Command("score", "Per-token surprisal (nats and bits), total and perplexity of a text under a language model.");
        command.Arguments.Add(ModelArgument);
        command.Options.Add(TextOption);
        command.Options.Add(FileOption);
        command.Options.Add(TokenizerOption);
        command.AddOptions([SharedOptions.Json, SharedOptions.Threads]);
        command.SetRunner(parse =>
        {
            string? text = parse.GetValue(TextOption), file = parse.GetValue(FileOption);
            if ((text is null) == (file is null)) throw new CliError("score: give the text with exactly one of --text TEXT or --file FILE.", ExitCodes.Usage);
            text ??= TextFile.ReadAllText(file!);
            if (text.Length == 0) throw new CliError($"score: the text{(file is null ? "" : $" in {file}")} is empty; give the text to score.", ExitCodes.Usage);
            var lm = CausalLMLoader.Load(parse.GetValue(ModelArgument)!, parse.GetValue(TokenizerOption));
            var score = TextSurprisal.Of(lm, text);
            if (parse.GetValue(SharedOptions.Json))
                JsonLine.Print(new ScoreOutput([.. score.Tokens.Select(t => new ScoreTokenOutput(t.Id, t.Piece, t.Nats, t.Bits))], score.ScoredTokens, score.TotalNats,
                    score.TotalBits, score.Perplexity, score.ContextRestarts), CliJson.Default.ScoreOutput);
            else
                Write(score);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(TextSurprisal score)
    {
        var output = Console.Out;
        output.WriteLine("id\tnats\tbits\ttoken");
        foreach (var t in score.Tokens)
            output.WriteLine($"{t.Id}\t{Number(t.Nats)}\t{Number(t.Bits)}\t{TokenizeCommand.Visible(t.Piece)}");
        string restarts = score.ContextRestarts > 0 ? $" ({score.ContextRestarts} context-window restarts)" : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"total: {score.TotalNats:F3} nats = {score.TotalBits:F3} bits over {score.ScoredTokens} tokens; perplexity {score.Perplexity:F3}{restarts}"));
    }

    private static string Number(double? value) => value is double v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
}
