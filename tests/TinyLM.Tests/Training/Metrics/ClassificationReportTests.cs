using System.Text.Json;
using TinyLM.Training;

namespace TinyLM.Tests.Training.Metrics;

/// <summary>
/// Expected values come from scikit-learn 1.2.1 via reference_values.py in this folder:
/// <c>/usr/bin/python3 tests/TinyLM.Tests/Training/Metrics/reference_values.py</c>.
/// </summary>
public class ClassificationReportTests
{
    [Fact]
    public void Three_classes_match_sklearn_text_and_numbers()
    {
        var report = new ClassificationReport([0, 1, 2, 2, 1, 0, 2, 1], [0, 2, 2, 2, 1, 0, 1, 1], ["neg", "neu", "pos"]);
        const string expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "         neg     1.0000    1.0000    1.0000         2\n" +
            "         neu     0.6667    0.6667    0.6667         3\n" +
            "         pos     0.6667    0.6667    0.6667         3\n" +
            "\n" +
            "    accuracy                         0.7500         8\n" +
            "   macro avg     0.7778    0.7778    0.7778         8\n" +
            "weighted avg     0.7500    0.7500    0.7500         8\n";
        Assert.Equal(expected, report.ToText());
        Assert.Equal(0.75, report.Accuracy);
        Assert.Equal(0.7777777777777777, report.MacroF1, 15);
        Assert.Equal(0.75, report.WeightedF1, 15);
        Assert.Equal(0.6666666666666666, report.PerClass[1].Precision, 15);
        Assert.Equal([[2, 0, 0], [0, 2, 1], [0, 1, 2]], report.ConfusionMatrix());
    }

    [Fact]
    public void Zero_division_gives_zero_and_sklearn_prints_micro_avg_when_a_label_never_occurs()
    {
        var report = new ClassificationReport([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 0], ["a", "b", "never-predicted", "absent"]);
        const string expected =
            "                 precision    recall  f1-score   support\n" +
            "\n" +
            "              a     0.3333    0.5000    0.4000         2\n" +
            "              b     0.6667    0.6667    0.6667         3\n" +
            "never-predicted     0.0000    0.0000    0.0000         1\n" +
            "         absent     0.0000    0.0000    0.0000         0\n" +
            "\n" +
            "      micro avg     0.5000    0.5000    0.5000         6\n" +
            "      macro avg     0.2500    0.2917    0.2667         6\n" +
            "   weighted avg     0.4444    0.5000    0.4667         6\n";
        Assert.Equal(expected, report.ToText());
        Assert.Equal(0.25, report.MacroPrecision, 15);
        Assert.Equal(0.29166666666666663, report.MacroRecall, 15);
        Assert.Equal(0.26666666666666666, report.MacroF1, 15);
        Assert.Equal(0.4444444444444444, report.WeightedPrecision, 15);
        Assert.Equal(0.4666666666666666, report.WeightedF1, 15);
        Assert.Equal(new ClassMetrics("absent", 0, 0, 0, 0), report.PerClass[3]);
    }

    [Fact]
    public void Long_label_names_widen_the_first_column()
    {
        var report = new ClassificationReport([0, 1, 1, 2, 2, 2, 0], [0, 1, 2, 2, 2, 0, 0], ["business-and-finance", "sport", "x"]);
        const string expected =
            "                      precision    recall  f1-score   support\n" +
            "\n" +
            "business-and-finance     0.6667    1.0000    0.8000         2\n" +
            "               sport     1.0000    0.5000    0.6667         2\n" +
            "                   x     0.6667    0.6667    0.6667         3\n" +
            "\n" +
            "            accuracy                         0.7143         7\n" +
            "           macro avg     0.7778    0.7222    0.7111         7\n" +
            "        weighted avg     0.7619    0.7143    0.7048         7\n";
        Assert.Equal(expected, report.ToText());
        Assert.Equal(0.7047619047619048, report.WeightedF1, 15);
        Assert.Equal(0.7111111111111111, report.MacroF1, 15);
    }

    [Fact]
    public void Exact_ties_round_half_to_even_like_python()
    {
        // 1/32 = 0.03125 exactly: Python prints 0.0312 where .NET's "F4" would print 0.0313.
        int[] yTrue = new int[32], yPred = new int[32];
        for (int i = 1; i < 32; i++) yTrue[i] = 1;
        var report = new ClassificationReport(yTrue, yPred, ["rare", "common"]);
        const string expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "        rare     0.0312    1.0000    0.0606         1\n" +
            "      common     0.0000    0.0000    0.0000        31\n" +
            "\n" +
            "    accuracy                         0.0312        32\n" +
            "   macro avg     0.0156    0.5000    0.0303        32\n" +
            "weighted avg     0.0010    0.0312    0.0019        32\n";
        Assert.Equal(expected, report.ToText());
        Assert.Equal(0.0009765625, report.WeightedPrecision);
        Assert.Equal(0.001893939393939394, report.WeightedF1, 15);
    }

    [Fact]
    public void Digits_change_precision_and_column_width_as_in_sklearn()
    {
        var report = new ClassificationReport([0, 1], [0, 0], ["a", "b"]);
        // sklearn: classification_report([0,1],[0,0],digits=2,zero_division=0)
        const string expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "           a       0.50      1.00      0.67         1\n" +
            "           b       0.00      0.00      0.00         1\n" +
            "\n" +
            "    accuracy                           0.50         2\n" +
            "   macro avg       0.25      0.50      0.33         2\n" +
            "weighted avg       0.25      0.50      0.33         2\n";
        Assert.Equal(expected, report.ToText(digits: 2));
    }

    [Fact]
    public void Json_has_the_documented_keys_and_values()
    {
        var report = new ClassificationReport([0, 1, 2, 2, 1, 0, 2, 1], [0, 2, 2, 2, 1, 0, 1, 1], ["neg", "neu", "pos"]);
        using JsonDocument doc = JsonDocument.Parse(report.ToJson());
        JsonElement root = doc.RootElement;
        Assert.Equal(0.75, root.GetProperty("accuracy").GetDouble());
        Assert.Equal(0.7777777777777777, root.GetProperty("macro_f1").GetDouble(), 15);
        Assert.Equal(0.75, root.GetProperty("weighted_f1").GetDouble(), 15);
        Assert.Equal(["neg", "neu", "pos"], root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToArray());
        JsonElement neu = root.GetProperty("per_class").GetProperty("neu");
        Assert.Equal(0.6666666666666666, neu.GetProperty("precision").GetDouble(), 15);
        Assert.Equal(0.6666666666666666, neu.GetProperty("recall").GetDouble(), 15);
        Assert.Equal(0.6666666666666666, neu.GetProperty("f1").GetDouble(), 15);
        Assert.Equal(3, neu.GetProperty("support").GetInt32());
        int[][] confusion = root.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        Assert.Equal([[2, 0, 0], [0, 2, 1], [0, 1, 2]], confusion);
    }

    [Fact]
    public void Empty_input_gives_zeros_and_bad_input_names_the_problem()
    {
        var empty = new ClassificationReport(Array.Empty<int>(), Array.Empty<int>(), ["a", "b"]);
        Assert.Equal(0, empty.Accuracy);
        Assert.Equal(0, empty.WeightedF1);
        Assert.Contains("micro avg", empty.ToText(), StringComparison.Ordinal);

        Assert.Contains("yPred has 1", Assert.Throws<ArgumentException>(() => new ClassificationReport([0, 1], [0], ["a", "b"])).Message, StringComparison.Ordinal);
        Assert.Contains("yTrue[1] = 5", Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationReport([0, 5], [0, 1], ["a", "b"])).Message, StringComparison.Ordinal);
        Assert.Contains("yPred[0] = -1", Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationReport([0, 1], [-1, 1], ["a", "b"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_sklearn_on_random_data_when_sklearn_is_installed()
    {
        // Independent check on many random cases; the hard-coded cases above run everywhere.
        string? python = TinyLM.Tests.IO.SafeTensorsTests.FindPythonWithNumpy();
        if (python is null || TinyLM.Tests.IO.SafeTensorsTests.Run(python, "-c \"import sklearn\"").Code != 0) return;

        var rng = new Random(42);
        var script = new System.Text.StringBuilder("from sklearn.metrics import classification_report\nimport sys\n");
        var reports = new List<string>();
        for (int c = 0; c < 12; c++)
        {
            int k = rng.Next(2, 7), n = rng.Next(1, 60);
            int[] t = new int[n], p = new int[n];
            for (int i = 0; i < n; i++)
            {
                t[i] = rng.Next(k);
                p[i] = rng.Next(3) == 0 ? t[i] : rng.Next(k);
            }

            string[] labels = Enumerable.Range(0, k).Select(i => new string((char)('a' + i), 1 + rng.Next(15))).ToArray();
            reports.Add(new ClassificationReport(t, p, labels).ToText());
            script.Append("sys.stdout.write(classification_report(").Append('[').Append(string.Join(',', t)).Append("],[")
                .Append(string.Join(',', p)).Append("],labels=list(range(").Append(k).Append(")),target_names=[")
                .Append(string.Join(',', labels.Select(l => $"'{l}'"))).Append("],digits=4,zero_division=0)+'@@')\n");
        }

        string dir = TinyLM.Tests.IO.SafeTensorsTestData.TempDir();
        string path = Path.Combine(dir, "cr.py");
        File.WriteAllText(path, script.ToString());
        (int code, string output) = TinyLM.Tests.IO.SafeTensorsTests.Run(python, $"\"{path}\"");
        Directory.Delete(dir, recursive: true);
        Assert.True(code == 0, output);
        string[] expected = output.Split("@@")[..^1];
        Assert.Equal(reports.Count, expected.Length);
        for (int i = 0; i < reports.Count; i++) Assert.Equal(expected[i], reports[i]);
    }
}
