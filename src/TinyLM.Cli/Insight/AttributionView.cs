using System.Globalization;
using Spectre.Console;
using TinyLM.Training.Insight;

namespace TinyLM.Cli.Insight;

/// <summary>
/// <c>tinylm explain</c>'s text output: the text token by token, each with its score, shaded green (for the label) or
/// red (against) by the size of its score where standard output is a colour terminal — plain text where it is
/// redirected or <c>NO_COLOR</c> is set (Spectre.Console's detection) — then the strongest tokens.
/// </summary>
internal static class AttributionView
{
    public static void Write(Explanation why, IReadOnlyList<string> labels, int top, double seconds)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        console.Profile.Width = int.MaxValue / 2; // one line per text: the terminal wraps it, a file keeps it whole
        string method = why.Method == AttributionMethod.Occlusion
            ? "occlusion (drop in the label's probability)"
            : $"integrated gradients ({why.Steps} steps, completeness gap {why.CompletenessGap!.Value:P2}{(why.NetworkOnly ? ", the network alone: the saved model also mixes naive Bayes/SVM" : "")})";
        console.WriteLine($"label: {labels[why.Label]}   p = {why.Probability.ToString("F4", CultureInfo.InvariantCulture)}" +
                          (why.Label == why.Predicted ? "" : $"   (predicted: {labels[why.Predicted]})"));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"method: {method}   {seconds * 1000:F1} ms"));
        float scale = why.Tokens.Count == 0 ? 0 : why.Tokens.Max(t => Math.Abs(t.Score));
        var line = new List<string>(why.Tokens.Count);
        foreach (var token in why.Tokens)
            line.Add($"[{Shade(token.Score, scale)}]{Markup.Escape(TokenizeCommand.Visible(token.Piece))}[/][grey]({Signed(token.Score)})[/]");
        console.MarkupLine(string.Join(' ', line));
        console.WriteLine("top: " + string.Join(", ", why.Top(top).Select(t => $"{TokenizeCommand.Visible(t.Piece)} {Signed(t.Score)}")));
    }

    /// <summary>A score with its sign, 4 decimals ("+0.4120", "-0.0031"); one too small for them in 3 significant digits ("+1.90e-06").</summary>
    public static string Signed(float score) => score != 0 && Math.Abs(score) < 5e-5f
        ? score.ToString("+0.00e+00;-0.00e+00", CultureInfo.InvariantCulture)
        : score.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);

    // Black on a background whose saturation grows with |score| / the largest |score| of the text.
    private static string Shade(float score, float scale)
    {
        double strength = scale > 0 ? Math.Clamp(Math.Abs(score) / scale, 0, 1) : 0;
        int fade = (int)Math.Round(255 - 180 * strength);
        var background = score >= 0 ? new Color((byte)fade, 255, (byte)fade) : new Color(255, (byte)fade, (byte)fade);
        return $"black on {background.ToMarkup()}";
    }
}
