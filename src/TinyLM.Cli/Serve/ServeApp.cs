using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TinyLM.Models.Generation;

namespace TinyLM.Cli.Serve;

/// <summary>A 4xx/5xx answer: its status, OpenAI error type and message.</summary>
public sealed class ServeError(int status, string type, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public static ServeError BadRequest(string message) => new(StatusCodes.Status400BadRequest, "invalid_request_error", message);
}

/// <summary>
/// The HTTP server of <c>tinylm serve</c>: ASP.NET Core Kestrel with minimal-API routes (CreateSlimBuilder, source-
/// generated JSON: NativeAOT). Stateless: every request carries all it needs, so any number of instances can sit
/// behind a load balancer (probes: /health, /ready).
/// </summary>
public static class ServeApp
{
    /// <summary>Builds the app for <paramref name="models"/> (not started).</summary>
    public static WebApplication Build(IReadOnlyList<ServedModel> models, ServeOptions options, ServeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBody;
            k.AddServerHeader = false;
        });
        builder.WebHost.UseUrls($"http://{options.Host}:{options.Port}");
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(h => h.ShutdownTimeout = options.Timeout);
        var app = builder.Build();
        var byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var api = new Api(byName, options, metrics);

        app.MapGet("/health", (HttpContext c) => api.Handle(c, "/health", (_, _) => Json(c, new HealthResponse("ok", byName.Count), ServeJson.Default.HealthResponse)));
        app.MapGet("/ready", (HttpContext c) => api.Handle(c, "/ready", (_, _) => Json(c, new HealthResponse("ready", byName.Count), ServeJson.Default.HealthResponse)));
        app.MapGet("/metrics", (HttpContext c) => { c.Response.ContentType = "text/plain; version=0.0.4"; return c.Response.WriteAsync(metrics.Render()); });
        app.MapGet("/v1/models", (HttpContext c) => api.Handle(c, "/v1/models", (_, _) => Json(c,
            new ModelList([.. models.Select(m => new ModelInfo(m.Name, m.Kind, m.Path))]), ServeJson.Default.ModelList)));
        app.MapPost("/v1/classify", (HttpContext c) => api.Handle(c, "/v1/classify", api.ClassifyAsync));
        app.MapPost("/v1/translate", (HttpContext c) => api.Handle(c, "/v1/translate", api.TranslateAsync));
        app.MapPost("/v1/completions", (HttpContext c) => api.Handle(c, "/v1/completions", api.CompletionAsync));
        app.MapPost("/v1/chat/completions", (HttpContext c) => api.Handle(c, "/v1/chat/completions", api.ChatAsync));
        app.MapFallback((HttpContext c) => api.Handle(c, "other", (_, _) =>
            throw new ServeError(StatusCodes.Status404NotFound, "not_found_error", $"no route {c.Request.Method} {c.Request.Path}")));
        return app;
    }

    /// <summary>The address a started app listens on (for port 0).</summary>
    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    internal static Task Json<T>(HttpContext c, T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK)
    {
        c.Response.StatusCode = status;
        return c.Response.WriteAsJsonAsync(value, type);
    }

    private sealed class Api(Dictionary<string, ServedModel> models, ServeOptions options, ServeMetrics metrics)
    {
        private readonly SemaphoreSlim _running = new(options.Concurrency, options.Concurrency);
        private int _admitted;

        /// <summary>Admission (bounded concurrency + queue), timeout, errors as JSON, metrics.</summary>
        public async Task Handle(HttpContext c, string path, Func<HttpContext, CancellationToken, Task> body)
        {
            var clock = Stopwatch.StartNew();
            bool running = false;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
            timeout.CancelAfter(options.Timeout);
            try
            {
                if (Interlocked.Increment(ref _admitted) > 2 * options.Concurrency)
                    throw new ServeError(StatusCodes.Status429TooManyRequests, "rate_limit_error", "too many requests in flight; retry later");
                await _running.WaitAsync(timeout.Token).ConfigureAwait(false);
                running = true;
                await body(c, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!c.Response.HasStarted && Classify(e, c, timeout.IsCancellationRequested) is { } error)
            {
                await Json(c, new ErrorBody(new ErrorDetail(error.Message, error.Type)), ServeJson.Default.ErrorBody, error.Status).ConfigureAwait(false);
            }
            catch (Exception e) when (c.Response.HasStarted && e is OperationCanceledException or IOException)
            {
                // A stream cut by the client or the timeout: nothing more can be said to the client.
            }
            finally
            {
                if (running) _running.Release();
                Interlocked.Decrement(ref _admitted);
                metrics.Request(path, c.Response.StatusCode, clock.Elapsed);
            }
        }

        private ServeError? Classify(Exception e, HttpContext c, bool timedOut) => e switch
        {
            ServeError s => s,
            BadHttpRequestException b => new ServeError(b.StatusCode, "invalid_request_error", b.Message),
            JsonException j => ServeError.BadRequest($"malformed JSON: {j.Message}"),
            OperationCanceledException when c.RequestAborted.IsCancellationRequested => new ServeError(499, "cancelled", "client closed the request"),
            OperationCanceledException when timedOut => new ServeError(StatusCodes.Status504GatewayTimeout, "timeout_error", $"the request took longer than {options.Timeout.TotalSeconds:0.#} s"),
            ArgumentException a => ServeError.BadRequest(a.Message),
            _ => new ServeError(StatusCodes.Status500InternalServerError, "server_error", e.Message),
        };

        private static async Task<T> ReadAsync<T>(HttpContext c, JsonTypeInfo<T> type, CancellationToken cancel) where T : class
        {
            if (c.Request.ContentType is { } ct && !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
                throw new ServeError(StatusCodes.Status415UnsupportedMediaType, "invalid_request_error", $"content type must be application/json, got {ct}");
            return await JsonSerializer.DeserializeAsync(c.Request.Body, type, cancel).ConfigureAwait(false)
                ?? throw ServeError.BadRequest("the body is JSON null; expected an object");
        }

        private ServedModel Model(string? name, string kind)
        {
            var candidates = models.Values.Where(m => m.Kind == kind).ToList();
            if (name is null)
            {
                if (candidates.Count == 1) return candidates[0];
                throw ServeError.BadRequest(candidates.Count == 0 ? $"no {kind} model is served" : $"several {kind} models are served: name one with \"model\"");
            }
            if (!models.TryGetValue(name, out var model))
                throw new ServeError(StatusCodes.Status404NotFound, "not_found_error", $"unknown model '{name}' (served: {string.Join(", ", models.Keys)})");
            if (model.Kind != kind) throw ServeError.BadRequest($"model '{name}' is a {model.Kind}, not a {kind}");
            return model;
        }

        private void CheckText(string? text, string what)
        {
            if (text is null) throw ServeError.BadRequest($"{what} is null");
            if (text.Length > options.MaxTextLength)
                throw new ServeError(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", $"{what} has {text.Length} characters, more than the limit {options.MaxTextLength}");
        }

        /// <summary>The "texts" of a classify or translate request: present, not empty, within the count and length limits.</summary>
        private List<string> CheckTexts(List<string>? texts)
        {
            if (texts is not { Count: > 0 }) throw ServeError.BadRequest("\"texts\" must be a non-empty array of strings");
            if (texts.Count > options.MaxTexts)
                throw new ServeError(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", $"{texts.Count} texts, more than the limit {options.MaxTexts} per request");
            for (int i = 0; i < texts.Count; i++) CheckText(texts[i], $"texts[{i}]");
            return texts;
        }

        public async Task ClassifyAsync(HttpContext c, CancellationToken cancel)
        {
            var request = await ReadAsync(c, ServeJson.Default.ClassifyRequest, cancel).ConfigureAwait(false);
            var model = Model(request.Model, "classifier");
            var texts = CheckTexts(request.Texts);
            int top = request.TopK ?? 1;
            if (top < 1) throw ServeError.BadRequest($"\"top_k\" must be ≥ 1, got {top}");
            var probabilities = await model.ClassifyBatcher!.RunAsync(texts, cancel).ConfigureAwait(false);
            var labels = model.Classifier!.Labels.Labels;
            var results = new List<ClassifyResult>(texts.Count);
            foreach (var probs in probabilities)
            {
                var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).Take(Math.Min(top, probs.Length));
                var scores = order.Select(i => new LabelScore(labels[i], probs[i])).ToList();
                results.Add(new ClassifyResult(scores[0].Label, scores));
            }
            await Json(c, new ClassifyResponse(model.Name, results), ServeJson.Default.ClassifyResponse).ConfigureAwait(false);
        }

        public async Task TranslateAsync(HttpContext c, CancellationToken cancel)
        {
            var request = await ReadAsync(c, ServeJson.Default.TranslateRequest, cancel).ConfigureAwait(false);
            var model = Model(request.Model, "seq2seq");
            var texts = CheckTexts(request.Texts);
            int beam = request.Beam ?? options.DefaultBeam;
            if (beam < 1 || beam > options.MaxBeam) throw ServeError.BadRequest($"\"beam\" must be in [1, {options.MaxBeam}], got {beam}");
            var translator = model.Translator!;
            var items = new TranslateItem[texts.Count];
            for (int i = 0; i < texts.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(texts[i])) throw ServeError.BadRequest($"texts[{i}] is empty; every text must hold a sentence to translate");
                var source = translator.EncodeSource(texts[i]);
                if (source.Length > translator.Config.MaxSourceLength)
                    throw new ServeError(StatusCodes.Status413PayloadTooLarge, "invalid_request_error",
                        $"texts[{i}] has {source.Length} tokens, more than the model's limit of {translator.Config.MaxSourceLength}");
                items[i] = new TranslateItem(source, beam);
            }
            var translations = await model.TranslateBatcher!.RunAsync(items, cancel).ConfigureAwait(false);
            await Json(c, new TranslateResponse(model.Name, beam, [.. translations]), ServeJson.Default.TranslateResponse).ConfigureAwait(false);
        }

        public async Task CompletionAsync(HttpContext c, CancellationToken cancel)
        {
            var r = await ReadAsync(c, ServeJson.Default.CompletionRequest, cancel).ConfigureAwait(false);
            var model = Model(r.Model, "causal_lm");
            string prompt = r.Prompt switch
            {
                null => "",
                { ValueKind: JsonValueKind.String } p => p.GetString()!,
                { ValueKind: JsonValueKind.Array } p when p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String => p[0].GetString()!,
                _ => throw ServeError.BadRequest("\"prompt\" must be a string (or an array of one string)"),
            };
            CheckText(prompt, "prompt");
            var sampling = Sampling(r.MaxTokens ?? 16, r.Temperature, r.TopP, r.TopK, r.MinP, r.RepetitionPenalty, r.Stop, r.Seed);
            string id = "cmpl-" + Guid.NewGuid().ToString("N");
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (r.Stream == true)
            {
                await StreamAsync(c, model, prompt, sampling, cancel,
                    text => JsonSerializer.Serialize(new CompletionResponse(id, created, model.Name, [new CompletionChoice(0, text, null)], null), ServeJson.Default.CompletionResponse),
                    (reason, usage) => JsonSerializer.Serialize(new CompletionResponse(id, created, model.Name, [new CompletionChoice(0, "", reason)], usage), ServeJson.Default.CompletionResponse),
                    null).ConfigureAwait(false);
                return;
            }
            var (result, usage) = await GenerateAsync(model, prompt, sampling, null, cancel).ConfigureAwait(false);
            await Json(c, new CompletionResponse(id, created, model.Name, [new CompletionChoice(0, result.Text, Finish(result.StopReason))], usage),
                ServeJson.Default.CompletionResponse).ConfigureAwait(false);
        }

        public async Task ChatAsync(HttpContext c, CancellationToken cancel)
        {
            var r = await ReadAsync(c, ServeJson.Default.ChatRequest, cancel).ConfigureAwait(false);
            var model = Model(r.Model, "causal_lm");
            if (r.Messages is not { Count: > 0 } messages) throw ServeError.BadRequest("\"messages\" must be a non-empty array");
            if (messages.Any(m => m is null || m.Role is null || m.Content is null)) throw ServeError.BadRequest("each message needs \"role\" and \"content\" strings");
            string prompt = ChatTranscript.Prompt(messages.Select(m => new ChatTurn(m.Role!, m.Content!)));
            CheckText(prompt, "messages");
            var sampling = Sampling(r.MaxCompletionTokens ?? r.MaxTokens ?? 256, r.Temperature, r.TopP, r.TopK, null, null, r.Stop, r.Seed);
            string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (r.Stream == true)
            {
                ChatResponse Chunk(ChatDelta delta, string? reason, Usage? usage) =>
                    new(id, "chat.completion.chunk", created, model.Name, [new ChatChoice(0, null, delta, reason)], usage);
                await StreamAsync(c, model, prompt, sampling, cancel,
                    text => JsonSerializer.Serialize(Chunk(new ChatDelta(null, text), null, null), ServeJson.Default.ChatResponse),
                    (reason, usage) => JsonSerializer.Serialize(Chunk(new ChatDelta(null, null), reason, usage), ServeJson.Default.ChatResponse),
                    JsonSerializer.Serialize(Chunk(new ChatDelta("assistant", ""), null, null), ServeJson.Default.ChatResponse)).ConfigureAwait(false);
                return;
            }
            var (result, usage) = await GenerateAsync(model, prompt, sampling, null, cancel).ConfigureAwait(false);
            await Json(c, new ChatResponse(id, "chat.completion", created, model.Name,
                [new ChatChoice(0, new ChatDelta("assistant", result.Text), null, Finish(result.StopReason))], usage), ServeJson.Default.ChatResponse).ConfigureAwait(false);
        }

        private SamplingOptions Sampling(int maxTokens, float? temperature, float? topP, int? topK, float? minP, float? repetition, JsonElement? stop, ulong? seed)
        {
            if (maxTokens < 1 || maxTokens > options.MaxTokens) throw ServeError.BadRequest($"\"max_tokens\" must be in [1, {options.MaxTokens}], got {maxTokens}");
            string[] stops = stop switch
            {
                null or { ValueKind: JsonValueKind.Null } => [],
                { ValueKind: JsonValueKind.String } s => [s.GetString()!],
                { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) => [.. a.EnumerateArray().Select(e => e.GetString()!)],
                _ => throw ServeError.BadRequest("\"stop\" must be a string or an array of strings"),
            };
            var sampling = new SamplingOptions
            {
                MaxTokens = maxTokens, Temperature = temperature ?? 1f, TopP = topP ?? 1f, TopK = topK ?? 0, MinP = minP ?? 0f,
                RepetitionPenalty = repetition ?? 1f, Stop = stops, Seed = seed ?? (ulong)Random.Shared.NextInt64(),
            };
            try { sampling.Validate(); }
            catch (ArgumentException e) { throw ServeError.BadRequest(e.Message); }
            return sampling;
        }

        private static string Finish(StopReason reason) => reason is StopReason.MaxTokens or StopReason.ContextFull ? "length" : "stop";

        private async Task<(GenerationResult, Usage)> GenerateAsync(ServedModel model, string prompt, SamplingOptions sampling, Action<string>? onText, CancellationToken cancel)
        {
            await model.GenerateGate.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                var result = await Task.Run(() => new Generator(model.CausalLM!).Generate(prompt, sampling, onText, cancel), cancel).ConfigureAwait(false);
                metrics.Generated(result.Tokens.Length, result.GenerateSeconds);
                return (result, new Usage(result.PromptTokens, result.Tokens.Length, result.PromptTokens + result.Tokens.Length));
            }
            finally { model.GenerateGate.Release(); }
        }

        /// <summary>Server-sent events: one "data: {chunk}" per piece of text, a last chunk with the finish reason, "data: [DONE]".
        /// Errors before the first piece (a prompt longer than the context, …) are still a JSON 4xx.</summary>
        private async Task StreamAsync(HttpContext c, ServedModel model, string prompt, SamplingOptions sampling, CancellationToken cancel,
            Func<string, string> piece, Func<string, Usage, string> last, string? first)
        {
            var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var generation = GenerateAsync(model, prompt, sampling, text => pieces.Writer.TryWrite(text), cancel);
            _ = generation.ContinueWith(t => pieces.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
            // Wait for the first piece (or the end) before committing to a 200.
            await pieces.Reader.WaitToReadAsync(cancel).ConfigureAwait(false);
            if (generation.IsFaulted || generation.IsCanceled) await generation.ConfigureAwait(false);
            c.Response.ContentType = "text/event-stream";
            c.Response.Headers.CacheControl = "no-cache";
            var output = c.Response.Body;
            if (first is not null) await Event(output, first, cancel).ConfigureAwait(false);
            await foreach (var text in pieces.Reader.ReadAllAsync(cancel).ConfigureAwait(false))
                await Event(output, piece(text), cancel).ConfigureAwait(false);
            var (result, usage) = await generation.ConfigureAwait(false);
            await Event(output, last(Finish(result.StopReason), usage), cancel).ConfigureAwait(false);
            await Event(output, "[DONE]", cancel).ConfigureAwait(false);
        }

        private static async Task Event(Stream output, string data, CancellationToken cancel)
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes("data: " + data + "\n\n"), cancel).ConfigureAwait(false);
            await output.FlushAsync(cancel).ConfigureAwait(false);
        }
    }
}
