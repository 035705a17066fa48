using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Cli.Common;

/// <summary>Reading the data files verbs take, the same way in every verb.</summary>
public static class InputData
{
    /// <summary>
    /// Labelled data named by a dataset argument (<see cref="DatasetArgument"/>). With <paramref name="skipBad"/>
    /// (--skip-bad), bad lines are skipped and their count reported on standard error; otherwise the first fails
    /// with its file and line.
    /// </summary>
    public static TextDataset ReadLabelled(string argument, string defaultFile, string? dataDir, bool skipBad = false)
    {
        var data = TextDatasetReader.Read(DatasetArgument.Resolve(argument, defaultFile, dataDir), skipBad: skipBad);
        if (data.SkippedLines > 0) Console.Error.WriteLine($"{data.Source}: skipped {data.SkippedLines} bad lines");
        return data;
    }

    /// <summary>
    /// Texts without labels: the text column of a labelled TSV, or every non-blank line of anything else. Fails when
    /// the file holds no text; <paramref name="what"/> names the file's role in that message ("calibration").
    /// </summary>
    public static List<string> ReadTexts(string file, string what)
    {
        List<string> texts = TextDatasetReader.DetectFormat(file) == DatasetFormat.Tsv && File.ReadLines(file).Take(1).Any(l => l.Contains('\t'))
            ? [.. TextDatasetReader.Read(file).Texts]
            : [.. TextFile.ReadLines(file).Where(l => l.Trim().Length > 0)];
        if (texts.All(string.IsNullOrWhiteSpace)) throw new CliError($"{file}: the {what} file holds no text.");
        return texts;
    }

    /// <summary>
    /// Fails (file and line) when <paramref name="eval"/> holds a label <paramref name="model"/> does not know. Verbs call it
    /// before writing their output, so that a mismatched evaluation file fails the command without leaving a model behind.
    /// </summary>
    public static void CheckLabels(TextClassifier model, TextDataset? eval)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (eval is not null) ClassifierEvaluation.TrueLabels(model.Labels, eval);
    }
}
