using System.CommandLine;
using System.Diagnostics;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Training.Insight;

namespace TinyLM.Cli.Insight;

/// <summary>
/// <c>tinylm explain MODEL TEXT</c>: how much each token of the text pushed the classifier towards its label
/// (integrated gradients or occlusion, <see cref="ClassifierExplainer"/>).
/// </summary>
public static class ExplainCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A .tlm classifier" };
    private static readonly Argument<string?> TextArgument = new("TEXT") { Description = "The text to explain (else --file)", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<string?> FileOption = new("--file") { Description = "Explain every text of a file instead: TSV label<TAB>text, or one text per line (one result each)" };
    private static readonly Option<AttributionMethod?> MethodOption = new("--method")
    {
        Description = "integrated-gradients (through the embeddings; float networks) or occlusion (drop each token; any model). Default: integrated gradients where the network decides alone, else occlusion",
        HelpName = "integrated-gradients|occlusion",
        CustomParser = ParseMethod,
    };
    private static readonly Option<string?> LabelOption = new("--label") { Description = "Explain this label instead of the predicted one" };
    private static readonly Option<int> StepsOption = new("--steps") { Description = "Integrated gradients: gradient evaluations along the path", DefaultValueFactory = _ => ClassifierExplainer.DefaultSteps };
    private static readonly Option<int?> MaxStepsOption = new("--max-steps")
    {
        Description = "Integrated gradients: nodes the path may be refined to while the completeness gap is over 0.5 % (default 16 × --steps; = --steps: no refinement)",
    };
    private static readonly Option<int> TopOption = new("--top") { Description = "Strongest tokens listed after the text", DefaultValueFactory = _ => 5 };

    // A parse error (not an exception) so a bad value is a usage error, exit code 2.
    private static AttributionMethod? ParseMethod(System.CommandLine.Parsing.ArgumentResult r)
    {
        string s = r.Tokens[0].Value;
        foreach (var method in Enum.GetValues<AttributionMethod>())
            if (s.Equals(MethodName(method), StringComparison.OrdinalIgnoreCase)) return method;
        r.AddError($"--method: expected integrated-gradients or occlusion, found '{s}'");
        return null;
    }

    public static Command Create()
    {
        var command = new Command("explain", "Show how much each token of a text contributed to a classifier's label.");
        command.Arguments.Add(ModelArgument);
        command.Arguments.Add(TextArgument);
        command.Options.Add(FileOption);
        command.Options.Add(MethodOption);
        command.Options.Add(LabelOption);
        command.Options.Add(StepsOption);
        command.Options.Add(MaxStepsOption);
        command.Options.Add(TopOption);
        command.AddOptions([SharedOptions.Json, SharedOptions.Threads]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        string? text = parse.GetValue(TextArgument), file = parse.GetValue(FileOption);
        if ((text is null) == (file is null)) throw new CliError("explain: give the text to explain, or --file FILE (not both).", ExitCodes.Usage);
        if (text is not null && string.IsNullOrWhiteSpace(text)) throw new CliError("explain: the text is empty; give the text to explain.", ExitCodes.Usage);
        int steps = parse.GetValue(StepsOption), top = parse.GetValue(TopOption);
        if (steps < 1) throw new CliError($"--steps must be ≥ 1, got {steps}.", ExitCodes.Usage);
        if (top < 1) throw new CliError($"--top must be ≥ 1, got {top}.", ExitCodes.Usage);
        int? maxSteps = parse.GetValue(MaxStepsOption);
        if (maxSteps < steps) throw new CliError($"--max-steps ({maxSteps}) must be ≥ --steps ({steps}).", ExitCodes.Usage);
        string path = parse.GetValue(ModelArgument)!;
        var model = TextClassifierFile.Load(path);
        int? label = parse.GetValue(LabelOption) is { } name ? LabelIndex(model, name) : null;
        var method = parse.GetValue(MethodOption);
        if (method == AttributionMethod.IntegratedGradients && IntegratedGradients.Unsupported(model) is { } why)
            throw new CliError($"{path}: --method integrated-gradients: {why}; use --method occlusion.", ExitCodes.Usage);
        List<string> texts = text is not null ? [text] : Classify.PredictCommand.ReadTexts([], file);
        if (texts.Count == 0) throw new CliError($"{file}: no text to explain.");
        bool json = parse.GetValue(SharedOptions.Json);
        var labels = model.Labels.Labels;
        foreach (string one in texts)
        {
            var clock = Stopwatch.StartNew();
            var explanation = ClassifierExplainer.Explain(model, one, method, label, steps, maxSteps);
            double seconds = clock.Elapsed.TotalSeconds;
            if (json)
                JsonLine.Print(new ExplainOutput(labels[explanation.Label], labels[explanation.Predicted], explanation.Probability, MethodName(explanation.Method),
                    [.. explanation.Tokens.Select(t => new ExplainTokenOutput(t.Id, t.Piece, t.Score))], explanation.Method == AttributionMethod.Occlusion ? null : explanation.Steps,
                    explanation.Logit, explanation.BaselineLogit, explanation.CompletenessGap, explanation.NetworkOnly, seconds), CliJson.Default.ExplainOutput);
            else
                AttributionView.Write(explanation, labels, top, seconds);
        }
        return ExitCodes.Ok;
    }

    /// <summary>The name of a method as --method and --json spell it.</summary>
    public static string MethodName(AttributionMethod method) => method == AttributionMethod.Occlusion ? "occlusion" : "integrated-gradients";

    private static int LabelIndex(TextClassifier model, string name) =>
        model.Labels.TryGetIndex(name, out int index)
            ? index
            : throw new CliError($"--label: the model has no label '{name}'; its labels are {string.Join(", ", model.Labels.Labels)}.", ExitCodes.Usage);
}
