using System.Text.Json;
using System.Text.RegularExpressions;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Tests.Cli;

/// <summary>tokenize, explain, score and predict --explain through the CLI, on the tiny models of <see cref="JsonSchemaModels"/>.</summary>
[Collection("Serial")]
public sealed class InsightCliTests(JsonSchemaModels models) : IClassFixture<JsonSchemaModels>
{
    private static JsonElement Last(string stdout) => JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement.Clone();

    private static string Ok((int Exit, string Out, string Err) run)
    {
        Assert.True(run.Exit == 0, run.Err);
        return run.Out;
    }

    [Fact]
    public void Tokenize_prints_the_ids_each_model_kind_reads()
    {
        var classifier = TextClassifierFile.Load(models.Classifier);
        var json = DocumentedJson.Of("tokenize").Check(Last(Ok(CliRunner.Run("tokenize", models.Classifier, "Crude OIL barrel zzz", "--json"))));
        Assert.Equal(classifier.Inputs.Encode("Crude OIL barrel zzz"), json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["crude", "oil", "barrel", "<oov>"], json.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()));

        var lm = CausalLMFile.Load(models.Lm);
        var lmJson = Last(Ok(CliRunner.Run("tokenize", models.Lm, "the cat\n", "--json")));
        var expected = new TinyLM.Models.Generation.Generator(lm).EncodePrompt("the cat\n");
        Assert.Equal(expected, lmJson.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(lm.Tokenizer.Decode(expected), string.Concat(lmJson.GetProperty("tokens").EnumerateArray().Select(e => e.GetString())));
        // Text output: one "id<TAB>piece" line per token, a line break shown as \n.
        var lines = Ok(CliRunner.Run("tokenize", models.Lm, "the cat\n")).TrimEnd('\n').Split('\n');
        Assert.Equal(expected.Length, lines.Length);
        Assert.Equal($"{expected[^1]}\t\\n", lines[^1]);

        string translator = models.PathOf("s2s.tlm");
        var s2s = Seq2SeqModel.Create(Seq2SeqConfig.Tiny, ByteBpeTokenizer.BytesOnly(), ByteBpeTokenizer.BytesOnly());
        s2s.Save(translator);
        var s2sJson = Last(Ok(CliRunner.Run("tokenize", translator, "Haus", "--json")));
        Assert.Equal(s2s.EncodeSource("Haus"), s2sJson.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("H", s2sJson.GetProperty("tokens")[0].GetString());
    }

    [Fact]
    public void Explain_prints_the_documented_object_and_its_scores_sum_to_the_logit_difference()
    {
        var json = DocumentedJson.Of("explain").Check(Last(Ok(CliRunner.Run("explain", models.Classifier, "oil barrel crude opec said", "--json"))));
        Assert.Equal("crude", json.GetProperty("label").GetString());
        Assert.Equal("crude", json.GetProperty("predicted").GetString());
        Assert.Equal("integrated-gradients", json.GetProperty("method").GetString());
        Assert.Equal(32, json.GetProperty("steps").GetInt32());
        var token = DocumentedJson.Of("explain token");
        var tokens = json.GetProperty("tokens").EnumerateArray().Select(token.Check).ToList();
        Assert.Equal(5, tokens.Count);
        double sum = tokens.Sum(t => t.GetProperty("score").GetDouble());
        double difference = json.GetProperty("logit").GetDouble() - json.GetProperty("baseline_logit").GetDouble();
        Assert.Equal(difference, sum, Math.Abs(difference) * 0.01);
        Assert.InRange(json.GetProperty("completeness_gap").GetDouble(), 0, 0.01);

        // Another label, by occlusion: every field of integrated gradients is left out.
        var grain = DocumentedJson.Of("explain").Check(Last(Ok(CliRunner.Run("explain", models.Classifier, "oil barrel crude opec said",
            "--label", "grain", "--method", "occlusion", "--json"))));
        Assert.Equal("grain", grain.GetProperty("label").GetString());
        Assert.Equal("crude", grain.GetProperty("predicted").GetString());
        Assert.Equal("occlusion", grain.GetProperty("method").GetString());
        foreach (var field in new[] { "steps", "logit", "baseline_logit", "completeness_gap" }) Assert.False(grain.TryGetProperty(field, out _), field);
    }

    [Fact]
    public void Explain_text_output_shows_every_token_and_the_strongest_without_colour_when_redirected()
    {
        var text = Ok(CliRunner.Run("explain", models.Classifier, "wheat grain harvest said", "--top", "2"));
        Assert.Contains("label: grain", text, StringComparison.Ordinal);
        Assert.Contains("integrated gradients (32 steps", text, StringComparison.Ordinal);
        Assert.Contains("wheat(", text, StringComparison.Ordinal);
        Assert.Contains("said(", text, StringComparison.Ordinal);
        Assert.Matches(@"top: \w+ [+-][0-9.e+-]+, \w+ [+-][0-9.e+-]+\n", text);
        Assert.DoesNotContain("\u001b[", text, StringComparison.Ordinal); // captured output is not a terminal: no escape codes
    }

    [Fact]
    public void Explain_file_gives_one_result_per_text()
    {
        File.WriteAllLines(models.PathOf("explain.txt"), ["oil barrel crude", "", "wheat grain harvest"]);
        var lines = Ok(CliRunner.Run("explain", models.Classifier, "--file", models.PathOf("explain.txt"), "--json")).TrimEnd('\n').Split('\n');
        Assert.Equal(["crude", "grain"], lines.Select(l => DocumentedJson.Of("explain").Check(JsonDocument.Parse(l).RootElement).GetProperty("label").GetString()));
        var both = CliRunner.Run("explain", models.Classifier, "oil", "--file", models.PathOf("explain.txt"));
        Assert.Equal(2, both.Exit);
        Assert.Contains("not both", both.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_explain_adds_the_top_tokens()
    {
        var json = DocumentedJson.Of("predict").Check(Last(Ok(CliRunner.Run("predict", models.Classifier, "wheat grain harvest said", "--explain", "--json"))));
        var top = json.GetProperty("top_tokens").EnumerateArray().Select(DocumentedJson.Of("explain token").Check).ToList();
        Assert.Equal(3, top.Count);
        Assert.True(top[0].GetProperty("score").GetDouble() >= top[1].GetProperty("score").GetDouble());
        Assert.Contains(top[0].GetProperty("token").GetString(), new[] { "wheat", "grain", "harvest" });
        var line = Ok(CliRunner.Run("predict", models.Classifier, "wheat grain harvest said", "--explain"));
        Assert.Matches(@"^__label__grain \d\.\d{4}  \(\w+ \+[0-9.e+-]+, \w+ [+-][0-9.e+-]+, \w+ [+-][0-9.e+-]+\)\n$", line);
        Assert.False(Last(Ok(CliRunner.Run("predict", models.Classifier, "wheat", "--json"))).TryGetProperty("top_tokens", out _));
    }

    [Fact]
    public void Score_prints_per_token_surprisal_that_sums_to_the_total()
    {
        var json = DocumentedJson.Of("score").Check(Last(Ok(CliRunner.Run("score", models.Lm, "--text", "the cat sat on mat", "--json"))));
        var token = DocumentedJson.Of("score token");
        var tokens = json.GetProperty("tokens").EnumerateArray().Select(token.Check).ToList();
        double nats = tokens.Where(t => t.GetProperty("nats").ValueKind == JsonValueKind.Number).Sum(t => t.GetProperty("nats").GetDouble());
        Assert.Equal(json.GetProperty("total_nats").GetDouble(), nats, 1e-6);
        Assert.Equal(nats / Math.Log(2), json.GetProperty("total_bits").GetDouble(), 1e-6);
        int scored = json.GetProperty("scored_tokens").GetInt32();
        Assert.Equal(Math.Exp(nats / scored), json.GetProperty("perplexity").GetDouble(), 1e-6);

        File.WriteAllText(models.PathOf("score.txt"), "the cat sat on mat");
        var fromFile = Last(Ok(CliRunner.Run("score", models.Lm, "--file", models.PathOf("score.txt"), "--json")));
        Assert.Equal(json.GetProperty("total_nats").GetDouble(), fromFile.GetProperty("total_nats").GetDouble());
        Assert.Contains("perplexity", Ok(CliRunner.Run("score", models.Lm, "--text", "the cat")), StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_report_is_one_self_contained_page_whose_every_chart_has_its_data()
    {
        // Three test lines with the wrong label, so the worst-texts table has rows.
        var lines = File.ReadAllLines(models.Test);
        lines[0] = "grain\t" + lines[0].Split('\t')[1];
        lines[1] = "acq\t" + lines[1].Split('\t')[1];
        lines[2] = "crude\t" + lines[2].Split('\t')[1];
        File.WriteAllLines(models.PathOf("flipped.tsv"), lines);
        string page = models.PathOf("report.html");
        var run = CliRunner.Run("eval", models.Classifier, models.PathOf("flipped.tsv"), "--report", page);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains($"wrote {page}", run.Err, StringComparison.Ordinal);
        string html = File.ReadAllText(page);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal); // nothing fetched
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Equal(9, Regex.Matches(html, "<rect class=\"cell\"").Count);   // 3 × 3 confusion cells
        Assert.Equal(9, Regex.Matches(html, "<rect class=\"bar\"").Count);    // P, R, F1 × 3 labels
        // The heat map holds the report's counts: the diagonal cell of crude is its true positives.
        var report = TinyLM.Training.ClassifierEvaluation.Evaluate(TextClassifierFile.Load(models.Classifier), TinyLM.Text.TextDatasetReader.Read(models.PathOf("flipped.tsv")));
        int crude = report.Labels.ToList().IndexOf("crude");
        Assert.Contains($"true crude, predicted crude: {report.Confusion(crude, crude)}</title>", html, StringComparison.Ordinal);
        Assert.True(Regex.Matches(html, "<span class=\"tok\"").Count >= 3, "the worst texts carry their token attributions");
        Assert.Contains("<th>p(true)</th>", html, StringComparison.Ordinal);
        Assert.Matches(@"<th>bytes</th><td>[\d,]+</td>", html);

        // A report where no file can be written (under a file), or over the model: refused before any work, nothing written.
        // (A missing folder is created, as for every --out: AtomicFile makes the parents.)
        var under = CliRunner.Run("eval", models.Classifier, models.Test, "--report", models.PathOf("flipped.tsv/r.html"));
        Assert.Equal(2, under.Exit);
        Assert.Contains("is a file, not a folder", under.Err, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllLines(models.PathOf("flipped.tsv")), lines);
        var over = CliRunner.Run("eval", models.Classifier, models.Test, "--report", models.Classifier);
        Assert.Equal(2, over.Exit);
        Assert.Contains("--report", over.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "no label 'nope'", "explain", "{classifier}", "oil", "--label", "nope")]
    [InlineData(2, "the text is empty", "explain", "{classifier}", " ")]
    [InlineData(2, "--method: expected integrated-gradients or occlusion", "explain", "{classifier}", "oil", "--method", "shap")]
    [InlineData(2, "--steps must be ≥ 1", "explain", "{classifier}", "oil", "--steps", "0")]
    [InlineData(2, "--max-steps (16) must be ≥ --steps (32)", "explain", "{classifier}", "oil", "--max-steps", "16")]
    [InlineData(1, "not a text classifier", "explain", "{lm}", "oil")]
    [InlineData(2, "the text is empty", "tokenize", "{classifier}", "")]
    [InlineData(2, "exactly one of --text", "score", "{lm}")]
    [InlineData(2, "the text is empty", "score", "{lm}", "--text", "")]
    [InlineData(1, "causal language model", "score", "{classifier}", "--text", "oil")]
    [InlineData(1, "no such model file", "tokenize", "{missing}", "oil")]
    public void Bad_input_is_one_clear_error_and_a_non_zero_exit(int exit, string message, params string[] args)
    {
        var run = CliRunner.Run([.. args.Select(a => a.Replace("{classifier}", models.Classifier, StringComparison.Ordinal)
            .Replace("{lm}", models.Lm, StringComparison.Ordinal).Replace("{missing}", models.PathOf("missing.tlm"), StringComparison.Ordinal))]);
        Assert.Equal(exit, run.Exit);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
    }
}
