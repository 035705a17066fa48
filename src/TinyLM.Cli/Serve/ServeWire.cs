using System.Text.Json;
using System.Text.Json.Serialization;

namespace TinyLM.Cli.Serve;

// The JSON wire format of `tinylm serve`: TinyLM's own endpoints (/v1/classify, /v1/translate, /v1/models) and the OpenAI
// completions/chat-completions subset. Source-generated (no reflection: NativeAOT).

/// <summary>POST /v1/classify body.</summary>
public sealed record ClassifyRequest(string? Model, List<string>? Texts, int? TopK);

/// <summary>One label and its probability.</summary>
public sealed record LabelScore(string Label, float Probability);

/// <summary>The labels of one text, most probable first.</summary>
public sealed record ClassifyResult(string Label, List<LabelScore> Labels);

/// <summary>POST /v1/classify answer.</summary>
public sealed record ClassifyResponse(string Model, List<ClassifyResult> Results);

/// <summary>POST /v1/translate body: sentences for a translation (seq2seq) model, beam width optional.</summary>
public sealed record TranslateRequest(string? Model, List<string>? Texts, int? Beam);

/// <summary>POST /v1/translate answer: one translation per text, in order.</summary>
public sealed record TranslateResponse(string Model, int Beam, List<string> Translations);

/// <summary>One served model (GET /v1/models, OpenAI list shape plus the TinyLM kind).</summary>
public sealed record ModelInfo(string Id, string Kind, string Path)
{
    public string Object => "model";
    public string OwnedBy => "tinylm";
}

/// <summary>GET /v1/models answer.</summary>
public sealed record ModelList(List<ModelInfo> Data)
{
    public string Object => "list";
}

/// <summary>The error body of every 4xx/5xx: {"error":{"message","type"}}.</summary>
public sealed record ErrorBody(ErrorDetail Error);

/// <summary>What went wrong; <paramref name="Type"/> is OpenAI's error type vocabulary.</summary>
public sealed record ErrorDetail(string Message, string Type);

/// <summary>GET /health and /ready answer.</summary>
public sealed record HealthResponse(string Status, int Models);

/// <summary>POST /v1/completions body (OpenAI subset). <c>stop</c> is a string or an array of strings.</summary>
public sealed record CompletionRequest(string? Model, JsonElement? Prompt, int? MaxTokens, float? Temperature, float? TopP, int? TopK,
    float? MinP, float? RepetitionPenalty, JsonElement? Stop, ulong? Seed, bool? Stream);

/// <summary>One chat message.</summary>
public sealed record ChatMessage(string? Role, string? Content);

/// <summary>POST /v1/chat/completions body (OpenAI subset).</summary>
public sealed record ChatRequest(string? Model, List<ChatMessage>? Messages, int? MaxTokens, int? MaxCompletionTokens, float? Temperature,
    float? TopP, int? TopK, JsonElement? Stop, ulong? Seed, bool? Stream);

/// <summary>Token counts of one completion.</summary>
public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

/// <summary>A text completion choice (whole or one streamed piece).</summary>
public sealed record CompletionChoice(int Index, string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public object? Logprobs => null;
}

/// <summary>A completion or one streamed chunk of it (object "text_completion").</summary>
public sealed record CompletionResponse(string Id, long Created, string Model, List<CompletionChoice> Choices, Usage? Usage)
{
    public string Object => "text_completion";
}

/// <summary>A chat message in an answer, or a streamed delta (fields left out when null).</summary>
public sealed record ChatDelta(string? Role, string? Content);

/// <summary>A chat choice: <paramref name="Message"/> when whole, <paramref name="Delta"/> when streamed.</summary>
public sealed record ChatChoice(int Index, ChatDelta? Message, ChatDelta? Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

/// <summary>A chat completion (object "chat.completion") or chunk ("chat.completion.chunk").</summary>
public sealed record ChatResponse(string Id, string Object, long Created, string Model, List<ChatChoice> Choices, Usage? Usage);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict, AllowTrailingCommas = false)]
[JsonSerializable(typeof(ClassifyRequest))]
[JsonSerializable(typeof(ClassifyResponse))]
[JsonSerializable(typeof(TranslateRequest))]
[JsonSerializable(typeof(TranslateResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(ChatResponse))]
public sealed partial class ServeJson : JsonSerializerContext;
