using System.Text.Json;
using TinyLM.Bench.Harness;
using TinyLM.Tests.Models;

namespace TinyLM.Tests.Cli;

/// <summary>
/// Every verb's --json output, parsed and checked field by field against docs/cli.md (<see cref="DocumentedJson"/>),
/// on tiny models trained once for the class (<see cref="JsonSchemaModels"/>).
/// </summary>
[Collection("Serial")]
public sealed class JsonSchemaTests(JsonSchemaModels models) : IClassFixture<JsonSchemaModels>
{
    private static JsonElement Last(string stdout) => JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement.Clone();

    private static string Ok((int Exit, string Out, string Err) run)
    {
        Assert.True(run.Exit == 0, run.Err);
        return run.Out;
    }

    private static void CheckMeasurements(JsonElement root, params string[] names)
    {
        var measurement = DocumentedJson.Of("measurement");
        foreach (var name in names) measurement.Check(root.GetProperty(name));
    }

    [Fact]
    public void Train_classify_reports_the_test_scores_and_the_written_model()
    {
        var json = DocumentedJson.Of("train classify").Check(Last(models.TrainClassifyOutput));
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0.9, 1.0);
        Assert.Equal(models.Classifier, json.GetProperty("model").GetString());
        Assert.Equal(new FileInfo(models.Classifier).Length, json.GetProperty("model_bytes").GetInt64());
        Assert.Equal("bag", json.GetProperty("encoder").GetString());
    }

    [Fact]
    public void Eval_and_predict_print_the_documented_objects()
    {
        var eval = DocumentedJson.Of("eval").Check(Last(Ok(CliRunner.Run("eval", models.Classifier, models.Test, "--json"))));
        Assert.Equal(60, eval.GetProperty("support").GetInt32());

        var lines = Ok(CliRunner.Run("predict", models.Classifier, "oil barrel crude opec", "wheat grain harvest", "--json"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var predict = DocumentedJson.Of("predict");
        var first = predict.Check(JsonDocument.Parse(lines[0]).RootElement);
        Assert.Equal("crude", first.GetProperty("label").GetString());
        Assert.Equal(1.0, first.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 3);
        predict.Check(JsonDocument.Parse(lines[1]).RootElement);
    }

    [Fact]
    public void Quantize_and_prune_of_a_classifier_carry_measurements_and_layers()
    {
        var quantize = DocumentedJson.Of("quantize").Check(Last(Ok(CliRunner.Run("quantize", models.Classifier, "--out", models.PathOf("q.tlm"),
            "--eval", models.Test, "--json"))));
        Assert.Equal("classifier", quantize.GetProperty("kind").GetString());
        Assert.False(quantize.TryGetProperty("decode_speedup", out _));
        CheckMeasurements(quantize, "before", "after");
        Assert.Equal(JsonValueKind.Number, quantize.GetProperty("after").GetProperty("accuracy").ValueKind);
        Assert.Equal(JsonValueKind.Null, quantize.GetProperty("after").GetProperty("val_loss").ValueKind);
        var layer = DocumentedJson.Of("quantize layer");
        Assert.NotEmpty(quantize.GetProperty("layers").EnumerateArray().Select(layer.Check).ToList());

        var prune = DocumentedJson.Of("prune").Check(Last(Ok(CliRunner.Run("prune", models.Classifier, "--out", models.PathOf("p.tlm"),
            "--sparsity", "0.5", "--eval", models.Test, "--json"))));
        Assert.Equal("unstructured", prune.GetProperty("pruning").GetString());
        CheckMeasurements(prune, "before", "after");
        var pruned = DocumentedJson.Of("prune layer");
        Assert.NotEmpty(prune.GetProperty("layers").EnumerateArray().Select(pruned.Check).ToList());
    }

    [Fact]
    public void Compression_verbs_skip_and_count_bad_lines_of_their_labelled_data_with_skip_bad()
    {
        File.WriteAllLines(models.PathOf("bad.tsv"), [.. File.ReadAllLines(models.Test), "a line without a tab"]);
        var strict = CliRunner.Run("prune", models.Classifier, "--out", models.PathOf("strict.tlm"), "--sparsity", "0.5", "--eval", models.PathOf("bad.tsv"));
        Assert.Equal(1, strict.Exit);
        Assert.Contains("bad.tsv:61", strict.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(models.PathOf("strict.tlm")));

        foreach (var verb in new[] { new[] { "prune", models.Classifier, "--sparsity", "0.5" }, ["quantize", models.Classifier] })
        {
            var run = CliRunner.Run([.. verb, "--out", models.PathOf("skipped.tlm"), "--eval", models.PathOf("bad.tsv"), "--skip-bad", "--json"]);
            Assert.True(run.Exit == 0, run.Err);
            Assert.Contains("skipped 1 bad lines", run.Err, StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Number, Last(run.Out).GetProperty("after").GetProperty("accuracy").ValueKind);
        }

        var lm = CliRunner.Run("quantize", models.Lm, "--out", models.PathOf("lm.skip.tlm"), "--type", "q8_0", "--skip-bad");
        Assert.Equal(2, lm.Exit);
        Assert.False(File.Exists(models.PathOf("lm.skip.tlm")));
    }

    [Fact]
    public void Distill_of_a_classifier_has_its_kind_fields_and_four_measurements()
    {
        var json = DocumentedJson.Of("distill").Check(Last(Ok(CliRunner.Run("distill", "--teacher", models.Classifier, "--data", models.Train,
            "--eval", models.Test, "--out", models.PathOf("student.tlm"), "--student-embed", "8", "--epochs", "2", "--json"))));
        Assert.Equal("classifier", json.GetProperty("kind").GetString());
        foreach (var field in new[] { "student_encoder", "epochs", "labeled_texts", "unlabeled_texts", "accuracy_retained", "baseline_train_seconds" })
            Assert.True(json.TryGetProperty(field, out _), $"missing {field}");
        foreach (var field in new[] { "top_k", "steps", "windows", "cache_bytes" })
            Assert.False(json.TryGetProperty(field, out _), $"language-model field {field} in a classifier's distill");
        CheckMeasurements(json, "teacher", "before", "after", "baseline");
    }

    [Fact]
    public void Train_lm_and_generate_print_the_documented_objects()
    {
        var train = DocumentedJson.Of("train lm").Check(Last(models.TrainCausalLMOutput));
        Assert.Equal(models.Lm, train.GetProperty("model").GetString());
        Assert.Equal(6, train.GetProperty("steps").GetInt32());

        var generate = DocumentedJson.Of("generate").Check(Last(Ok(CliRunner.Run("generate", models.Lm, "--prompt", "the", "--max-tokens", "5",
            "--temperature", "0", "--threads", "1", "--json"))));
        Assert.Equal(5, generate.GetProperty("tokens").GetInt32());
        Assert.Equal(1, generate.GetProperty("threads").GetInt32());
    }

    [Fact]
    public void Quantize_distill_and_export_of_a_language_model_print_the_documented_objects()
    {
        var quantize = DocumentedJson.Of("quantize").Check(Last(Ok(CliRunner.Run("quantize", models.Lm, "--out", models.PathOf("lm.q8.tlm"),
            "--type", "q8_0", "--eval", models.Text, "--json"))));
        Assert.Equal("causal_lm", quantize.GetProperty("kind").GetString());
        Assert.True(quantize.GetProperty("decode_speedup").GetDouble() > 0);
        CheckMeasurements(quantize, "before", "after");
        Assert.Equal(JsonValueKind.Null, quantize.GetProperty("after").GetProperty("accuracy").ValueKind);
        Assert.Equal(JsonValueKind.Number, quantize.GetProperty("after").GetProperty("val_loss").ValueKind);
        var layer = DocumentedJson.Of("quantize layer");
        Assert.NotEmpty(quantize.GetProperty("layers").EnumerateArray().Select(layer.Check).ToList());

        var distill = DocumentedJson.Of("distill").Check(Last(Ok(CliRunner.Run("distill", "--teacher", models.Lm, "--data", models.Text,
            "--out", models.PathOf("lm.student.tlm"), "--student-embed", "8", "--student-heads", "1", "--steps", "2", "--batch", "2", "--json"))));
        Assert.Equal("causal_lm", distill.GetProperty("kind").GetString());
        Assert.Equal(2, distill.GetProperty("steps").GetInt32());
        Assert.False(distill.TryGetProperty("student_encoder", out _));
        CheckMeasurements(distill, "teacher", "before", "after", "baseline");

        var export = DocumentedJson.Of("export gguf").Check(Last(Ok(CliRunner.Run("export", "gguf", models.Lm, "--out", models.PathOf("lm.gguf"), "--json"))));
        Assert.Equal(new FileInfo(models.PathOf("lm.gguf")).Length, export.GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void Train_translate_translate_and_bleu_print_the_documented_objects()
    {
        string[] de = ["ein hund", "eine katze", "ein haus", "ein baum"], en = ["a dog", "a cat", "a house", "a tree"];
        File.WriteAllLines(models.PathOf("pairs.tsv"), Enumerable.Range(0, 40).Select(i => $"{de[i % 4]}\t{en[i % 4]}"));
        var train = DocumentedJson.Of("train translate").Check(Last(Ok(CliRunner.Run("train", "translate", "--src", models.PathOf("pairs.tsv"),
            "--valid-src", models.PathOf("pairs.tsv"), "--out", models.PathOf("mt.tlm"), "--arch", "rnn", "--embed", "8", "--hidden", "8",
            "--vocab", "262", "--epochs", "1", "--json"))));
        Assert.Equal("rnn", train.GetProperty("arch").GetString());
        Assert.True(train.TryGetProperty("valid_bleu", out _));

        var lines = Ok(CliRunner.Run("translate", models.PathOf("mt.tlm"), "ein hund", "eine katze", "--beam", "1", "--json")).TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        var sentence = DocumentedJson.Of("translate");
        Assert.Equal("ein hund", sentence.Check(JsonDocument.Parse(lines[0]).RootElement).GetProperty("source").GetString());
        sentence.Check(JsonDocument.Parse(lines[1]).RootElement);
        Assert.Equal(2, DocumentedJson.Of("translate summary").Check(JsonDocument.Parse(lines[2]).RootElement).GetProperty("sentences").GetInt32());

        File.WriteAllLines(models.PathOf("hyp.txt"), ["a dog sat", "a cat"]);
        File.WriteAllLines(models.PathOf("ref.txt"), ["a dog sat", "the cat"]);
        var bleu = DocumentedJson.Of("bleu").Check(Last(Ok(CliRunner.Run("bleu", models.PathOf("hyp.txt"), models.PathOf("ref.txt"), "--json"))));
        Assert.Equal(2, bleu.GetProperty("sentences").GetInt32());
    }

    [Fact]
    public void Bench_gemm_prints_an_array_of_documented_rows()
    {
        using var json = JsonDocument.Parse(Ok(CliRunner.Run("bench", "gemm", "--shape", "8x8x8", "--shape", "4x8x2:nt", "--threads", "1", "--trials", "1", "--json")));
        var rows = json.RootElement.EnumerateArray().Select(DocumentedJson.Of("bench gemm").Check).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal("nt", rows[1].GetProperty("op").GetString());
    }

    [Fact]
    public void Bench_generate_rows_are_the_documented_objects()
    {
        // The rows as the verb prints them; running the verb decodes a 15M-parameter model for many seconds.
        GenerateBenchResult[] results = [new("15m", 1, 100, null, null), new("15m", 1, 180, null, null, "q8_0", 1.8)];
        using var json = JsonDocument.Parse(Ok(CliRunner.Capture(() => { GenerateBench.Print(results, json: true); return 0; })));
        var rows = json.RootElement.EnumerateArray().Select(DocumentedJson.Of("bench generate").Check).ToList();
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("speedup_vs_f32").ValueKind);
        Assert.Equal(1.8, rows[1].GetProperty("speedup_vs_f32").GetDouble());
    }
}

/// <summary>The tiny classifier and language model that <see cref="JsonSchemaTests"/> run the verbs on, trained once.</summary>
public sealed class JsonSchemaModels : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-json-").FullName;

    public JsonSchemaModels()
    {
        ToyTopics.WriteTsv(Train, ToyTopics.Make(150, seed: 1));
        ToyTopics.WriteTsv(Test, ToyTopics.Make(60, seed: 2));
        var classify = CliRunner.Run("train", "classify", "--train", Train, "--test", Test, "--encoder", "bag", "--vocab", "100", "--embed", "16",
            "--max-len", "16", "--epochs", "8", "--lr", "0.02", "--batch", "16", "--out", Classifier, "--json");
        Assert.True(classify.Exit == 0, classify.Err);
        TrainClassifyOutput = classify.Out;

        File.WriteAllLines(Text, Enumerable.Range(0, 200).Select(i => $"the {(i % 2 == 0 ? "cat" : "dog")} sat on mat {i % 5}."));
        // llama-style so that export gguf accepts it.
        var lm = CliRunner.Run("train", "lm", "--data", Text, "--out", Lm, "--arch", "llama", "--layers", "1", "--embed", "16", "--heads", "2",
            "--context", "16", "--steps", "6", "--batch", "4", "--warmup", "2", "--eval-every", "0", "--eval-batches", "2", "--json");
        Assert.True(lm.Exit == 0, lm.Err);
        TrainCausalLMOutput = lm.Out;
    }

    public string PathOf(string name) => Path.Combine(_dir, name);

    public string Train => PathOf("train.tsv");
    public string Test => PathOf("test.tsv");
    public string Classifier => PathOf("classifier.tlm");
    public string Text => PathOf("text.txt");
    public string Lm => PathOf("lm.tlm");
    public string TrainClassifyOutput { get; }
    public string TrainCausalLMOutput { get; }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
