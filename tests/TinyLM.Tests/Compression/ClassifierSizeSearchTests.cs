using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Cli;
using TinyLM.Tests.IO.Llama;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Compression;

/// <summary>Feature selection with refitting and the byte-budget search of <c>quantize --max-bytes</c>.</summary>
[Collection("Serial")]
public class ClassifierSizeSearchTests
{
    private static readonly TextClassifierConfig SvmAlone = new()
    {
        Encoder = EncoderKind.Bag, VocabSize = 100, MaxLength = 16, WordBigrams = true, LinearSvmWeight = 1f, SvmOnly = true,
    };

    private static TextClassifier Trained(int seed = 1)
    {
        var data = ToyTopics.Make(240, seed);
        var model = TextClassifier.Create(SvmAlone, data.Examples);
        model.Fit(data, options: new TrainOptions { Epochs = 1 });
        return model;
    }

    private static long SavedBytes(TextClassifier model, string path)
    {
        model.SaveDeflated(path);
        return new FileInfo(path).Length;
    }

    [Fact]
    public void Remapped_ids_give_the_features_the_pruned_model_computes_from_the_text()
    {
        var source = Trained();
        var texts = ToyTopics.Make(60, seed: 5).Examples.Select(e => e.Text).ToList();
        var training = ToyTopics.Make(240, seed: 1).Examples;
        var ids = source.Inputs.EncodeAll([.. training.Select(e => e.Text)]);
        int firstWord = SvmFeatureSelection.FirstWordId(source.Words!), rows = source.LinearSvm!.Rows;
        var ranking = SvmFeatureSelection.Ranking(SvmFeatureSelection.Importance(source.LinearSvm), firstWord);
        Assert.True(ranking.Length > 30, $"{ranking.Length} ranked features");
        var kept = SvmFeatureSelection.OrderByFrequency(ranking[..25], ids, rows);
        var map = SvmFeatureSelection.Remap(kept, rows, firstWord);
        var labels = source.Labels.Encode(training);
        var pruned = SvmFeatureSelection.Refit(source, kept, SvmFeatureSelection.Apply(map, ids, [.. Enumerable.Range(0, ids.Length)]), labels);
        Assert.Equal(firstWord + 25, pruned.LinearSvm!.Rows);

        var remapped = SvmFeatureSelection.Apply(map, source.Inputs.EncodeAll(texts), [.. Enumerable.Range(0, texts.Count)]);
        int nonEmpty = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            var own = pruned.LinearSvm.Features(pruned.Inputs.Encode(texts[i]));
            var viaMap = pruned.LinearSvm.Features(remapped[i]);
            Assert.Equal(own.Ids, viaMap.Ids);
            Assert.Equal(own.Values, viaMap.Values);
            if (own.Ids.Length > 0) nonEmpty++;
        }
        Assert.True(nonEmpty > 50, $"{nonEmpty} texts with a kept feature");
        // The pruned vocabulary is ordered by document frequency, so idf never decreases along it.
        var idf = pruned.LinearSvm.Idf.ToArray();
        for (int r = firstWord + 1; r < idf.Length; r++) Assert.True(idf[r] >= idf[r - 1], $"idf[{r}] = {idf[r]} < idf[{r - 1}] = {idf[r - 1]}");
    }

    [Fact]
    public void The_search_returns_the_most_accurate_candidate_under_the_budget_as_its_file_measures()
    {
        using var dir = new ScratchDir();
        var model = Trained();
        var before = model.StateDict().ToDictionary(p => p.Name, p => p.Value.ToArray());
        var training = ToyTopics.Make(240, seed: 1).Examples;
        var options = new SizeSearchOptions { MaxBytes = long.MaxValue / 2, MinFeatures = 4 };
        var open = ClassifierSizeSearch.Search(model, training, options, m => SavedBytes(m, dir.File("probe.tlm")));
        var evaluated = open.Candidates.Where(c => c.HeldOutAccuracy is not null).ToList();
        Assert.Equal(open.Candidates.Count, evaluated.Count); // an unlimited budget evaluates every candidate
        Assert.Equal(4 * ClassifierSizeSearch.Ladder(4, open.AllFeatures).Count, open.Candidates.Count);
        var chosen = Assert.Single(open.Candidates, c => c.Chosen);
        Assert.Equal(evaluated.Max(c => c.HeldOutAccuracy), chosen.HeldOutAccuracy);
        Assert.Equal(evaluated.Where(c => c.HeldOutAccuracy == chosen.HeldOutAccuracy).Min(c => c.Bytes), chosen.Bytes);
        Assert.Equal(chosen.Bytes, SavedBytes(open.Quantized.Model, dir.File("chosen.tlm")));
        var loaded = TextClassifierFile.Load(dir.File("chosen.tlm"));
        var texts = ToyTopics.Make(40, seed: 7).Examples.Select(e => e.Text).ToArray();
        Assert.Equal(open.Quantized.Model.Predict(texts), loaded.Predict(texts));

        // A budget between the smallest and the largest file: nothing over it is evaluated or chosen, and the ladder stops.
        long budget = open.Candidates.Where(c => c.Features == ClassifierSizeSearch.Ladder(4, open.AllFeatures)[1]).Min(c => c.Bytes);
        var bounded = ClassifierSizeSearch.Search(model, training, options with { MaxBytes = budget }, m => SavedBytes(m, dir.File("probe.tlm")));
        Assert.All(bounded.Candidates, c => Assert.Equal(c.Bytes <= budget, c.HeldOutAccuracy is not null));
        Assert.True(bounded.Candidates.Single(c => c.Chosen).Bytes <= budget);
        Assert.True(bounded.Candidates.Count < open.Candidates.Count);
        Assert.Contains(bounded.Candidates, c => c.Bytes > budget);

        var tooSmall = Assert.Throws<BudgetTooSmallException>(() =>
            ClassifierSizeSearch.Search(model, training, options with { MaxBytes = 100 }, m => SavedBytes(m, dir.File("probe.tlm"))));
        Assert.Contains("no candidate fits; the smallest is", tooSmall.Message);
        foreach (var (name, tensor) in model.StateDict()) Assert.Equal(before[name], tensor.ToArray()); // the input is never modified
    }

    [Fact]
    public void Models_the_search_cannot_shrink_are_refused_with_the_reason()
    {
        var training = ToyTopics.Make(240, seed: 1).Examples;
        var quantized = ClassifierQuantizer.Quantize(Trained(), new QuantizationOptions()).Model;
        var options = new SizeSearchOptions { MaxBytes = 1_000_000 };
        Assert.Contains("already quantized", Assert.Throws<ArgumentException>(() => ClassifierSizeSearch.Search(quantized, training, options, _ => 0)).Message);
        var network = TextClassifier.Create(SvmAlone with { SvmOnly = false, LinearSvmWeight = 0f, EmbedDim = 8 }, training);
        Assert.Contains("has none", Assert.Throws<ArgumentException>(() => ClassifierSizeSearch.Search(network, training, options, _ => 0)).Message);
        var strange = training.Take(10).Append(new TextExample("oil oil", "weather", 11)).ToList();
        Assert.Contains("'weather'", Assert.Throws<ArgumentException>(() => ClassifierSizeSearch.Search(Trained(), strange, options, _ => 0)).Message);
    }

    [Fact]
    public void A_mixture_with_an_svm_head_yields_the_svm_alone()
    {
        using var dir = new ScratchDir();
        var data = ToyTopics.Make(240, seed: 1);
        var mixture = TextClassifier.Create(SvmAlone with { SvmOnly = false, LinearSvmWeight = 0.5f, EmbedDim = 8 }, data.Examples);
        mixture.Fit(data, options: new TrainOptions { Epochs = 1, BatchSize = 16 });
        var result = ClassifierSizeSearch.Search(mixture, data.Examples, new SizeSearchOptions { MaxBytes = 1_000_000, MinFeatures = 16 },
            m => SavedBytes(m, dir.File("probe.tlm")));
        var chosen = result.Quantized.Model;
        Assert.False(chosen.HasNetwork);
        Assert.True(chosen.Config.SvmOnly);
        Assert.True(mixture.HasNetwork); // the input keeps its network
        Assert.True(result.Candidates.Single(c => c.Chosen).HeldOutAccuracy > 0.9);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Four_bit_tables_keep_values_within_seven_levels_and_half_a_step(bool perColumn)
    {
        var rng = new Random(3);
        int rows = 41, cols = 8;
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * (rng.NextDouble() < 0.1 ? 3 : 0.2));
        var table = Int8Table.Quantize(w, rows, cols, perColumn, levels: 7);
        var back = new float[w.Length];
        table.Dequantize(back);
        for (int i = 0; i < w.Length; i++)
        {
            double s = table.Scales[perColumn ? i % cols : i / cols];
            Assert.InRange(table.Values[i], -7, 7);
            Assert.True(Math.Abs((double)back[i] - w[i]) <= s / 2 * (1 + 1e-6), $"element {i}: {back[i]} vs {w[i]} (scale {s})");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Table.Quantize(w, rows, cols, perColumn, levels: 128));
    }

    [Fact]
    public void Quantize_cli_with_max_bytes_writes_a_file_under_the_budget_and_refuses_what_it_cannot_do()
    {
        using var dir = new ScratchDir();
        string input = dir.File("svm.tlm"), train = dir.File("train.tsv"), output = dir.File("small.tlm");
        Trained().Save(input);
        ToyTopics.WriteTsv(train, ToyTopics.Make(240, seed: 1));
        byte[] original = File.ReadAllBytes(input);
        long budget = new FileInfo(input).Length * 2 / 3;

        var (exit, stdout, stderr) = CliRunner.Run("quantize", input, "--out", output, "--max-bytes", $"{budget}", "--data", train, "--json");
        Assert.True(exit == 0, stderr);
        Assert.InRange(new FileInfo(output).Length, 1, budget);
        Assert.Contains("chosen", stdout);
        var json = DocumentedJson.Of("quantize").Check(System.Text.Json.JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement);
        var candidate = DocumentedJson.Of("quantize size candidate");
        Assert.Single(json.GetProperty("size_search").EnumerateArray().Select(candidate.Check), c => c.GetProperty("chosen").GetBoolean());
        Assert.NotNull(TextClassifierFile.Load(output).LinearSvm!.QuantizedWeight);

        var tooSmall = CliRunner.Run("quantize", input, "--out", dir.File("none.tlm"), "--max-bytes", "200", "--data", train);
        Assert.Equal(1, tooSmall.Exit);
        Assert.Contains("no candidate fits", tooSmall.Err);
        var again = CliRunner.Run("quantize", output, "--out", dir.File("none.tlm"), "--max-bytes", $"{budget}", "--data", train);
        Assert.Equal(1, again.Exit);
        Assert.Contains("already quantized", again.Err);
        foreach (var args in new[] { new[] { "--type", "q4_0", "--data", train }, ["--svm-scales", "row", "--data", train], [] })
        {
            var usage = CliRunner.Run(["quantize", input, "--out", dir.File("none.tlm"), "--max-bytes", $"{budget}", .. args]);
            Assert.Equal(2, usage.Exit);
            Assert.Contains("--", usage.Err);
        }
        Assert.False(File.Exists(dir.File("none.tlm")));
        Assert.Equal(original, File.ReadAllBytes(input));
    }
}
