using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.Cli.Insight;
using TinyLM.IO;
using TinyLM.Text;
using TinyLM.Training.Insight;

namespace TinyLM.Cli.Classify;

/// <summary>
/// <c>tinylm predict MODEL [TEXT…]</c>: the most probable labels with their probabilities, for texts
/// given as arguments, in a file (TSV: the text column; otherwise one text per line) or on stdin.
/// </summary>
public static class PredictCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A .tlm classifier" };
    private static readonly Argument<string[]> TextsArgument = new("TEXT") { Description = "Texts to classify (else --file, else standard input)", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<string?> FileOption = new("--file") { Description = "A file of texts: TSV label<TAB>text, or one text per line" };
    private static readonly Option<int> TopOption = new("--top") { Description = "Labels shown per text", DefaultValueFactory = _ => 1 };
    private static readonly Option<bool> ExplainOption = new("--explain")
    {
        Description = $"Also show the {ExplainedTokens} tokens that pushed most towards the predicted label (tinylm explain's default method)",
    };

    /// <summary>Tokens --explain shows per text.</summary>
    private const int ExplainedTokens = 3;

    public static Command Create()
    {
        var command = new Command("predict", "Classify texts with a trained model.");
        command.Arguments.Add(ModelArgument);
        command.Arguments.Add(TextsArgument);
        command.Options.Add(FileOption);
        command.Options.Add(TopOption);
        command.Options.Add(ExplainOption);
        command.AddOptions([SharedOptions.Json, SharedOptions.Threads]);
        command.SetRunner(parse =>
        {
            int top = parse.GetValue(TopOption);
            if (top < 1) throw new CliError($"--top must be ≥ 1, got {top}.", ExitCodes.Usage);
            var model = TextClassifierFile.Load(parse.GetValue(ModelArgument)!);
            var texts = ReadTexts(parse.GetValue(TextsArgument) ?? [], parse.GetValue(FileOption));
            var probabilities = model.PredictProbabilities(texts);
            var labels = model.Labels.Labels;
            bool json = parse.GetValue(SharedOptions.Json), explain = parse.GetValue(ExplainOption);
            var output = Console.Out;
            for (int n = 0; n < texts.Count; n++)
            {
                var probs = probabilities[n];
                var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).Take(Math.Min(top, probs.Length)).ToArray();
                // An empty line of a file has nothing to explain; its prediction is still printed.
                var why = explain && !string.IsNullOrWhiteSpace(texts[n]) ? ClassifierExplainer.Explain(model, texts[n], label: order[0]).Top(ExplainedTokens) : null;
                if (json)
                    output.WriteLine(JsonLine.Render(new PredictOutput(labels[order[0]], labels.Zip(probs).ToDictionary(),
                        why?.Select(t => new ExplainTokenOutput(t.Id, t.Piece, t.Score)).ToList()), CliJson.Default.PredictOutput));
                else
                    output.WriteLine(string.Join(' ', order.Select(i => $"__label__{labels[i]} {probs[i]:F4}")) +
                                     (why is null ? "" : "  (" + string.Join(", ", why.Select(t => $"{TokenizeCommand.Visible(t.Piece)} {AttributionView.Signed(t.Score)}")) + ")"));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Texts from arguments, else a file (a labelled TSV's text column, or one text per non-empty line), else standard input.</summary>
    internal static List<string> ReadTexts(string[] arguments, string? file)
    {
        if (arguments.Length > 0) return [.. arguments];
        if (file is not null)
        {
            // A TSV with labels is read as a dataset (its text column); anything else is one text per line.
            if (TextDatasetReader.DetectFormat(file) == DatasetFormat.Tsv && File.ReadLines(file).Take(1).Any(l => l.Contains('\t')))
                return [.. TextDatasetReader.Read(file).Texts];
            return [.. TextFile.ReadLines(file).Where(l => l.Length > 0)];
        }
        var lines = new List<string>();
        while (Console.In.ReadLine() is { } line)
            if (line.Length > 0) lines.Add(line);
        if (lines.Count == 0) throw new CliError("no text to classify: give TEXT arguments, --file FILE, or lines on standard input.", ExitCodes.Usage);
        return lines;
    }
}
