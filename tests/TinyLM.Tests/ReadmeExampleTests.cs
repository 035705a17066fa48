using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests;

/// <summary>The C# example in README.md compiles and runs: its body is copied here verbatim and compared.</summary>
[Collection("Serial")]
public sealed class ReadmeExampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Example(string trainPath, string testPath, string modelPath)
    {
        // README example begins
        var train = TextDatasetReader.Read(trainPath);
        var test = TextDatasetReader.Read(testPath);

        var (config, options) = ClassifierRecipes.For(EncoderKind.BiLstm);   // or Bag, Cnn, BiGru, Transformer
        var model = TextClassifier.Create(config with { EmbedDim = 32 }, train.Examples);
        model.Fit(train, options: options with { Epochs = 3 });

        ClassificationReport report = model.Evaluate(test);
        Console.WriteLine(report.ToText());                  // scikit-learn's classification_report layout

        model.Save(modelPath);
        var loaded = TextClassifierFile.Load(modelPath);
        int[] topics = loaded.Predict(["oil prices rose as opec cut crude output"]);
        Console.WriteLine(loaded.Labels[topics[0]]);
        // README example ends
    }

    [Fact]
    public void Readme_example_is_this_code_and_it_runs()
    {
        var readme = File.ReadAllText(FindUp("README.md"));
        var source = File.ReadAllText(FindUp(Path.Combine("tests", "TinyLM.Tests", "ReadmeExampleTests.cs")));
        string body = Between(source, "// README example begins\n", "        // README example ends");
        string normalized = string.Join('\n', body.Split('\n').Select(l => l.Length >= 8 ? l[8..] : l.TrimStart()));
        Assert.Contains(normalized.TrimEnd(), readme);

        var trainPath = Path.Combine(_dir, "train.tsv");
        var testPath = Path.Combine(_dir, "test.tsv");
        ToyTopics.WriteTsv(trainPath, ToyTopics.Make(120, seed: 1));
        ToyTopics.WriteTsv(testPath, ToyTopics.Make(30, seed: 2));
        var modelPath = Path.Combine(_dir, "news.tlm");
        var saved = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            Example(trainPath, testPath, modelPath);
        }
        finally
        {
            Console.SetOut(saved);
        }
        Assert.True(File.Exists(modelPath));
        Assert.Contains("weighted avg", output.ToString());
        Assert.EndsWith("crude", output.ToString().TrimEnd());
    }

    private static string Between(string text, string start, string end)
    {
        int a = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int b = text.IndexOf(end, a, StringComparison.Ordinal);
        return text[a..b];
    }

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
