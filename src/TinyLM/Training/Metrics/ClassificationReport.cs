using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TinyLM.Training;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public readonly record struct ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Accuracy, per-class precision/recall/F1/support, macro and weighted averages and the confusion
/// matrix of a classifier, computed the way scikit-learn computes them: a ratio with a zero
/// denominator is 0 (sklearn's default zero_division), and every label counts in the macro
/// average even if it never occurs. Equivalent to
/// <c>classification_report(y_true, y_pred, labels=range(K), target_names=labels, digits=4)</c>.
/// </summary>
public sealed class ClassificationReport
{
    private readonly string[] _labels;
    private readonly ClassMetrics[] _perClass;
    private readonly int[][] _confusion;

    /// <summary>
    /// Builds the report. <paramref name="yTrue"/> and <paramref name="yPred"/> hold label
    /// indices into <paramref name="labels"/>.
    /// </summary>
    public ClassificationReport(ReadOnlySpan<int> yTrue, ReadOnlySpan<int> yPred, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (yTrue.Length != yPred.Length)
        {
            throw new ArgumentException($"ClassificationReport: yTrue has {yTrue.Length} items but yPred has {yPred.Length}");
        }

        int k = labels.Count;
        if (k == 0) throw new ArgumentException("ClassificationReport: at least one label is needed", nameof(labels));
        _labels = new string[k];
        for (int i = 0; i < k; i++) _labels[i] = labels[i] ?? throw new ArgumentException($"ClassificationReport: label {i} is null", nameof(labels));

        _confusion = new int[k][];
        for (int i = 0; i < k; i++) _confusion[i] = new int[k];
        int correct = 0;
        for (int i = 0; i < yTrue.Length; i++)
        {
            int t = yTrue[i], p = yPred[i];
            if ((uint)t >= (uint)k) throw new ArgumentOutOfRangeException(nameof(yTrue), $"ClassificationReport: yTrue[{i}] = {t} is not a label index in [0, {k})");
            if ((uint)p >= (uint)k) throw new ArgumentOutOfRangeException(nameof(yPred), $"ClassificationReport: yPred[{i}] = {p} is not a label index in [0, {k})");
            _confusion[t][p]++;
            if (t == p) correct++;
        }

        Count = yTrue.Length;
        Accuracy = Count == 0 ? 0.0 : (double)correct / Count;

        _perClass = new ClassMetrics[k];
        for (int c = 0; c < k; c++)
        {
            int tp = _confusion[c][c], predicted = 0, actual = 0;
            for (int j = 0; j < k; j++)
            {
                predicted += _confusion[j][c];
                actual += _confusion[c][j];
            }

            double precision = Divide(tp, predicted);
            double recall = Divide(tp, actual);
            // The same formula and zero rule as sklearn's precision_recall_fscore_support (beta = 1).
            double denominator = precision + recall;
            double f1 = denominator == 0 ? 0.0 : 2 * precision * recall / denominator;
            _perClass[c] = new ClassMetrics(_labels[c], precision, recall, f1, actual);
        }

        double sp = 0, sr = 0, sf = 0, wp = 0, wr = 0, wf = 0;
        foreach (ClassMetrics m in _perClass)
        {
            sp += m.Precision;
            sr += m.Recall;
            sf += m.F1;
            wp += m.Precision * m.Support;
            wr += m.Recall * m.Support;
            wf += m.F1 * m.Support;
        }

        MacroPrecision = sp / k;
        MacroRecall = sr / k;
        MacroF1 = sf / k;
        WeightedPrecision = Divide(wp, Count);
        WeightedRecall = Divide(wr, Count);
        WeightedF1 = Divide(wf, Count);
    }

    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Number of examples scored (the total support).</summary>
    public int Count { get; }

    public double Accuracy { get; }

    public IReadOnlyList<ClassMetrics> PerClass => _perClass;

    public double MacroPrecision { get; }

    public double MacroRecall { get; }

    public double MacroF1 { get; }

    public double WeightedPrecision { get; }

    public double WeightedRecall { get; }

    public double WeightedF1 { get; }

    /// <summary>Confusion counts: row = true label, column = predicted label, in <see cref="Labels"/> order.</summary>
    public int Confusion(int trueLabel, int predictedLabel) => _confusion[trueLabel][predictedLabel];

    /// <summary>A copy of the confusion matrix (rows true, columns predicted).</summary>
    public int[][] ConfusionMatrix()
    {
        var copy = new int[_confusion.Length][];
        for (int i = 0; i < copy.Length; i++) copy[i] = (int[])_confusion[i].Clone();
        return copy;
    }

    /// <summary>
    /// The text table of scikit-learn's classification_report, character for character (numbers
    /// rounded half-to-even as Python does; a "micro avg" row replaces "accuracy" when some label
    /// never occurs, as sklearn does when labels= lists it).
    /// </summary>
    public string ToText(int digits = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        const string lastHeading = "weighted avg";
        int width = lastHeading.Length;
        foreach (string label in _labels) width = Math.Max(width, PyFormat.CodePoints(label));
        width = Math.Max(width, digits);

        var sb = new StringBuilder();
        sb.Append(PyFormat.Right("", width)).Append(' ');
        foreach (string h in (ReadOnlySpan<string>)["precision", "recall", "f1-score", "support"]) sb.Append(' ').Append(PyFormat.Right(h, 9));
        sb.Append("\n\n");
        foreach (ClassMetrics m in _perClass) AppendRow(sb, m.Label, m.Precision, m.Recall, m.F1, m.Support, width, digits);
        sb.Append('\n');

        if (AllLabelsOccur())
        {
            // Python's "{:>9.4}" of "" is nine spaces: the accuracy row leaves precision and recall blank.
            sb.Append(PyFormat.Right("accuracy", width)).Append(' ');
            sb.Append(' ', 10).Append(' ', 10);
            sb.Append(' ').Append(PyFormat.Right(PyFormat.Fixed(Accuracy, digits), 9));
            sb.Append(' ').Append(PyFormat.Right(Count.ToString(System.Globalization.CultureInfo.InvariantCulture), 9)).Append('\n');
        }
        else
        {
            // sklearn prints "micro avg" instead when some label never occurs in y_true or y_pred;
            // with every prediction inside the label set, micro precision = recall = F1 = accuracy.
            AppendRow(sb, "micro avg", Accuracy, Accuracy, Accuracy, Count, width, digits);
        }

        AppendRow(sb, "macro avg", MacroPrecision, MacroRecall, MacroF1, Count, width, digits);
        AppendRow(sb, lastHeading, WeightedPrecision, WeightedRecall, WeightedF1, Count, width, digits);
        return sb.ToString();
    }

    /// <summary>
    /// Writes <c>{"accuracy", "macro_f1", "weighted_f1", ..., "labels", "per_class": {label: {...}},
    /// "confusion": [[...]]}</c>; confusion rows are true labels, columns predicted, in "labels" order.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("accuracy", Accuracy);
        writer.WriteNumber("macro_precision", MacroPrecision);
        writer.WriteNumber("macro_recall", MacroRecall);
        writer.WriteNumber("macro_f1", MacroF1);
        writer.WriteNumber("weighted_precision", WeightedPrecision);
        writer.WriteNumber("weighted_recall", WeightedRecall);
        writer.WriteNumber("weighted_f1", WeightedF1);
        writer.WriteNumber("support", Count);
        writer.WriteStartArray("labels");
        foreach (string label in _labels) writer.WriteStringValue(label);
        writer.WriteEndArray();
        writer.WriteStartObject("per_class");
        foreach (ClassMetrics m in _perClass)
        {
            writer.WriteStartObject(m.Label);
            writer.WriteNumber("precision", m.Precision);
            writer.WriteNumber("recall", m.Recall);
            writer.WriteNumber("f1", m.F1);
            writer.WriteNumber("support", m.Support);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteStartArray("confusion");
        foreach (int[] row in _confusion)
        {
            writer.WriteStartArray();
            foreach (int v in row) writer.WriteNumberValue(v);
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The JSON of <see cref="WriteJson"/> as a string.</summary>
    public string ToJson(bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public override string ToString() => ToText();

    private bool AllLabelsOccur()
    {
        for (int c = 0; c < _labels.Length; c++)
        {
            bool occurs = false;
            for (int j = 0; j < _labels.Length && !occurs; j++) occurs = _confusion[c][j] != 0 || _confusion[j][c] != 0;
            if (!occurs) return false;
        }

        return true;
    }

    private static double Divide(double numerator, double denominator) => denominator == 0 ? 0.0 : numerator / denominator;

    private static void AppendRow(StringBuilder sb, string heading, double p, double r, double f, int support, int width, int digits)
    {
        sb.Append(PyFormat.Right(heading, width)).Append(' ');
        sb.Append(' ').Append(PyFormat.Right(PyFormat.Fixed(p, digits), 9));
        sb.Append(' ').Append(PyFormat.Right(PyFormat.Fixed(r, digits), 9));
        sb.Append(' ').Append(PyFormat.Right(PyFormat.Fixed(f, digits), 9));
        sb.Append(' ').Append(PyFormat.Right(support.ToString(System.Globalization.CultureInfo.InvariantCulture), 9)).Append('\n');
    }
}
