using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using TinyLM.Cli.Serve;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Models.Generation;
using TinyLM.Text;
using TinyLM.Tests.Cli;
using Xunit;

namespace TinyLM.Tests.Serve;

/// <summary>Two tiny models (a classifier and a char-level causal LM) served in-process on a free loopback port.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-serve-").FullName;
    private ServedModel[] _models = [];
    public WebApplication App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string ClassifierPath => Path.Combine(_dir, "topics.tlm");
    public string LmPath => Path.Combine(_dir, "verse.tlm");
    public string TranslatorPath => Path.Combine(_dir, "reverse.tlm");
    public ServeOptions Options { get; } = new() { Port = 0, MaxBody = 64 * 1024, MaxTexts = 32, MaxTextLength = 2000, MaxBatch = 16 };

    public async Task InitializeAsync()
    {
        var train = Path.Combine(_dir, "train.tsv");
        var lines = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            lines.Add($"sport\tthe team won the match and the fans cheered {i}");
            lines.Add($"money\tthe bank raised rates and the market fell {i}");
        }
        File.WriteAllLines(train, lines);
        var text = Path.Combine(_dir, "text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("user: to be or not to be\nassistant: that is the question.\n", 100)));
        var c = CliRunner.Run("train", "classify", "--train", train, "--test", train, "--encoder", "bag", "--epochs", "3", "--out", ClassifierPath);
        Assert.True(c.Exit == 0, c.Err);
        var l = CliRunner.Run("train", "lm", "--data", text, "--layers", "1", "--heads", "2", "--embed", "16", "--context", "32",
            "--steps", "20", "--eval-every", "10", "--eval-batches", "1", "--out", LmPath);
        Assert.True(l.Exit == 0, l.Err);
        // Untrained weights are enough: the server must give exactly the library's decoding of the same file.
        Seq2SeqModel.Create(Seq2SeqConfig.Tiny with { EmbedDim = 16, Hidden = 32, Heads = 2, MaxSourceLength = 64 },
            ByteBpeTokenizer.BytesOnly(), ByteBpeTokenizer.BytesOnly()).Save(TranslatorPath);
        var metrics = new ServeMetrics();
        _models = [ServedModel.Load(ClassifierPath, null, Options, metrics), ServedModel.Load("poet=" + LmPath, null, Options, metrics),
            ServedModel.Load(TranslatorPath, null, Options, metrics)];
        var models = _models;
        App = ServeApp.Build(models, Options, metrics);
        await App.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(ServeApp.Address(App)) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        foreach (var m in _models) await m.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class ServeTests(ServeFixture server) : IClassFixture<ServeFixture>
{
    private HttpClient Client => server.Client;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string body)
    {
        using var response = await Client.PostAsync(path, Json(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Classify_GivesTheModelsOwnProbabilities()
    {
        var (status, body) = await PostAsync("/v1/classify", """{"model":"topics","texts":["the team won the match","the bank raised rates"],"top_k":2}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = TextClassifierFile.Load(server.ClassifierPath).PredictProbabilities(["the team won the match", "the bank raised rates"]);
        var labels = TextClassifierFile.Load(server.ClassifierPath).Labels.Labels;
        var results = body.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        for (int t = 0; t < 2; t++)
        {
            var scores = results[t].GetProperty("labels");
            Assert.Equal(2, scores.GetArrayLength());
            int best = expected[t][0] >= expected[t][1] ? 0 : 1;
            Assert.Equal(labels[best], results[t].GetProperty("label").GetString());
            foreach (var s in scores.EnumerateArray())
            {
                int i = labels.ToList().IndexOf(s.GetProperty("label").GetString()!);
                Assert.Equal(expected[t][i], s.GetProperty("probability").GetSingle(), 5);
            }
        }
        Assert.Equal("sport", results[0].GetProperty("label").GetString());
        Assert.Equal("money", results[1].GetProperty("label").GetString());
    }

    [Fact]
    public async Task Classify_ConcurrentRequestsAreBatchedAndEachGetsItsOwnRows()
    {
        var texts = Enumerable.Range(0, 24).Select(i => i % 2 == 0 ? $"the fans cheered {i}" : $"the market fell {i}").ToArray();
        var answers = await Task.WhenAll(texts.Select(t => PostAsync("/v1/classify", JsonSerializer.Serialize(new Dictionary<string, object> { ["texts"] = new[] { t } }))));
        var expected = TextClassifierFile.Load(server.ClassifierPath).PredictProbabilities(texts);
        var labels = TextClassifierFile.Load(server.ClassifierPath).Labels.Labels;
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(HttpStatusCode.OK, answers[i].Status);
            var label = answers[i].Body.GetProperty("results")[0].GetProperty("label").GetString();
            Assert.Equal(labels[expected[i][0] >= expected[i][1] ? 0 : 1], label);
            Assert.Equal(i % 2 == 0 ? "sport" : "money", label);
        }
        var metrics = await Client.GetStringAsync("/metrics");
        Assert.Contains("tinylm_batch_texts_count", metrics);
        Assert.Contains("tinylm_requests_total{path=\"/v1/classify\",status=\"200\"}", metrics);
    }

    [Theory]
    [InlineData("/v1/classify", "{\"texts\": [\"a\"", HttpStatusCode.BadRequest)]          // malformed JSON
    [InlineData("/v1/classify", "{\"texts\": \"a\"}", HttpStatusCode.BadRequest)]           // wrong type
    [InlineData("/v1/classify", "{\"texts\": []}", HttpStatusCode.BadRequest)]              // empty texts
    [InlineData("/v1/classify", "{\"model\":\"nope\",\"texts\":[\"a\"]}", HttpStatusCode.NotFound)]
    [InlineData("/v1/classify", "{\"model\":\"poet\",\"texts\":[\"a\"]}", HttpStatusCode.BadRequest)] // an LM is not a classifier
    [InlineData("/v1/classify", "{\"texts\":[\"a\"],\"top_k\":0}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/translate", "{\"texts\": [\"a\"], \"beam\": 0}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/translate", "{\"texts\": [\"a\"], \"beam\": 17}", HttpStatusCode.BadRequest)]    // over MaxBeam
    [InlineData("/v1/translate", "{\"texts\": [\"a\"], \"beam\": \"2\"}", HttpStatusCode.BadRequest)] // wrong type
    [InlineData("/v1/translate", "{\"texts\": []}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/translate", "{\"texts\": [\"  \"]}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/translate", "{\"texts\": [null]}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/translate", "{\"model\":\"topics\",\"texts\":[\"a\"]}", HttpStatusCode.BadRequest)] // a classifier does not translate
    [InlineData("/v1/translate", "{\"model\":\"nope\",\"texts\":[\"a\"]}", HttpStatusCode.NotFound)]
    [InlineData("/v1/translate", "{\"texts\":[\"" + "abcdefghij" + "abcdefghij" + "abcdefghij" + "abcdefghij" + "abcdefghij" + "abcdefghij" + "abcd\"]}", HttpStatusCode.RequestEntityTooLarge)] // 65 tokens > 64
    [InlineData("/v1/completions", "{\"prompt\": 5}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/completions", "{\"prompt\": \"to\", \"max_tokens\": 0}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/completions", "{\"prompt\": \"to\", \"temperature\": -1}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/completions", "{\"prompt\": \"to\", \"stop\": 3}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/chat/completions", "{\"messages\": []}", HttpStatusCode.BadRequest)]
    [InlineData("/v1/chat/completions", "{\"messages\": [{\"role\":\"user\"}]}", HttpStatusCode.BadRequest)]
    public async Task BadInput_IsAJsonErrorWithTheRightStatus(string path, string body, HttpStatusCode expected)
    {
        var (status, error) = await PostAsync(path, body);
        Assert.Equal(expected, status);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetProperty("message").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Limits_BodyTextsAndLengthGet413AndTheServerStaysUp()
    {
        var big = "{\"texts\":[\"" + new string('a', 100 * 1024) + "\"]}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync("/v1/classify", big)).Status);
        var many = JsonSerializer.Serialize(new Dictionary<string, object> { ["texts"] = Enumerable.Repeat("a", 33).ToArray() });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync("/v1/classify", many)).Status);
        var longText = JsonSerializer.Serialize(new Dictionary<string, object> { ["texts"] = new[] { new string('b', 2001) } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync("/v1/classify", longText)).Status);
        var longPrompt = JsonSerializer.Serialize(new Dictionary<string, object> { ["prompt"] = string.Concat(Enumerable.Repeat("to be ", 20)) });
        var (status, error) = await PostAsync("/v1/completions", longPrompt);   // 120 characters > context 32
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("context", error.GetProperty("error").GetProperty("message").GetString());
        using var health = await Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var ready = await Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Models_ListsBothByName()
    {
        var body = JsonDocument.Parse(await Client.GetStringAsync("/v1/models")).RootElement;
        var ids = body.GetProperty("data").EnumerateArray().Select(m => (m.GetProperty("id").GetString(), m.GetProperty("kind").GetString())).ToList();
        Assert.Equal([("topics", "classifier"), ("poet", "causal_lm"), ("reverse", "seq2seq")], ids);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Translate_EqualsTheLibrarysDecoding(int beam)
    {
        string[] texts = ["a small cat", "two dogs run", "hello"];
        var (status, body) = await PostAsync("/v1/translate", JsonSerializer.Serialize(new Dictionary<string, object> { ["texts"] = texts, ["beam"] = beam }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("reverse", body.GetProperty("model").GetString());
        Assert.Equal(beam, body.GetProperty("beam").GetInt32());
        var expected = Seq2SeqSearch.Translate(Seq2SeqFile.Load(server.TranslatorPath), texts, new SearchOptions { Beam = beam, LengthPenalty = server.Options.LengthPenalty });
        Assert.Equal(expected, body.GetProperty("translations").EnumerateArray().Select(t => t.GetString()).ToArray());
    }

    [Fact]
    public async Task Translate_ConcurrentRequestsAreBatched_MixedBeamsEachGetTheirOwn()
    {
        // Texts of one length: however the batcher groups them, every batch pads the same way.
        var texts = Enumerable.Range(0, 12).Select(i => $"word {i:D2}").ToArray();
        var answers = await Task.WhenAll(texts.Select((t, i) => PostAsync("/v1/translate",
            JsonSerializer.Serialize(new Dictionary<string, object> { ["texts"] = new[] { t }, ["beam"] = 1 + i % 2 }))));
        var model = Seq2SeqFile.Load(server.TranslatorPath);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(HttpStatusCode.OK, answers[i].Status);
            var expected = Seq2SeqSearch.Translate(model, [texts[i]], new SearchOptions { Beam = 1 + i % 2, LengthPenalty = server.Options.LengthPenalty });
            Assert.Equal(expected[0], answers[i].Body.GetProperty("translations")[0].GetString());
        }
        Assert.Contains("tinylm_requests_total{path=\"/v1/translate\",status=\"200\"}", await Client.GetStringAsync("/metrics"));
    }

    private string Greedy(string prompt, int tokens) =>
        new Generator(CausalLMFile.Load(server.LmPath)).Generate(prompt, SamplingOptions.Greedy with { MaxTokens = tokens }).Text;

    [Fact]
    public async Task Completions_GreedyMatchesTheLibrary_WholeAndStreamed()
    {
        var (status, body) = await PostAsync("/v1/completions", """{"model":"poet","prompt":"to be","max_tokens":12,"temperature":0}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        string expected = Greedy("to be", 12);
        Assert.Equal(expected, body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(12, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        var events = await StreamAsync("/v1/completions", """{"prompt":"to be","max_tokens":12,"temperature":0,"stream":true}""");
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.Equal(expected, string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task ChatCompletions_WholeAndStreamed()
    {
        const string request = """{"messages":[{"role":"user","content":"to be"}],"max_tokens":8,"temperature":0}""";
        var (status, body) = await PostAsync("/v1/chat/completions", request);
        Assert.Equal(HttpStatusCode.OK, status);
        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        string expected = Greedy("user: to be\nassistant:", 8);
        Assert.Equal(expected, message.GetProperty("content").GetString());

        var events = await StreamAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"to be"}],"max_tokens":8,"temperature":0,"stream":true}""");
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.Equal(expected, text);
    }

    [Fact]
    public async Task Stream_ClientThatDisconnectsDoesNotHurtTheNextRequest()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Json("""{"prompt":"to","max_tokens":4000,"stream":true}""") })
        using (var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }   // disconnect mid-stream
        var (status, body) = await PostAsync("/v1/completions", """{"prompt":"to be","max_tokens":5,"temperature":0}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Greedy("to be", 5), body.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    private async Task<List<string>> StreamAsync(string path, string body)
    {
        using var response = await Client.PostAsync(path, Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.StartsWith("data: ", StringComparison.Ordinal) ? e[6..] : throw new InvalidDataException(e))];
    }
}
