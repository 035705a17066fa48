using System.Globalization;
using TinyLM.Training;

namespace TinyLM.Cli.Classify;

/// <summary>
/// The automatic recipe of <c>train classify</c> in one line per decision (word bigrams, the naive Bayes weight, the
/// SVM weight): what was chosen, its held-out accuracy, and the best held-out accuracy without it.
/// </summary>
internal static class RecipeSummary
{
    public static IEnumerable<string> Lines(ClassifierAutoChoice choice)
    {
        ArgumentNullException.ThrowIfNull(choice);
        var c = choice.Candidates;
        var m = choice.Model;
        yield return Decision("word bigrams", m.WordBigrams ? "yes" : "no", c, x => x.Bigrams == m.WordBigrams);
        yield return Decision("naive Bayes weight", Number(m.NaiveBayesWeight), c, x => x.NaiveBayesWeight == m.NaiveBayesWeight);
        yield return Decision("SVM weight", Number(m.LinearSvmWeight), c, x => x.LinearSvmWeight == m.LinearSvmWeight);
    }

    private static string Decision(string name, string value,
        IReadOnlyList<(bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy)> candidates,
        Func<(bool Bigrams, float NaiveBayesWeight, float LinearSvmWeight, double Accuracy), bool> chosen)
    {
        double with = candidates.Where(chosen).Select(x => x.Accuracy).DefaultIfEmpty(double.NaN).Max();
        var others = candidates.Where(x => !chosen(x)).Select(x => x.Accuracy).ToList();
        string otherwise = others.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $", best otherwise {others.Max() * 100:F2}%");
        return string.Create(CultureInfo.InvariantCulture, $"  {name}: {value} (held-out {with * 100:F2}%{otherwise})");
    }

    private static string Number(float value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
