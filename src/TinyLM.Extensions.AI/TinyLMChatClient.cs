using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using TinyLM.Models;
using TinyLM.Models.Generation;

namespace TinyLM.Extensions.AI;

/// <summary>
/// <see cref="IChatClient"/> over a TinyLM causal language model, in-process. A chat becomes one prompt with
/// <see cref="ChatTranscript.Prompt"/> (the same text `tinylm serve`'s /v1/chat/completions builds), and the reply is
/// the model's continuation of it. <see cref="ChatOptions"/> map onto <see cref="SamplingOptions"/>; what a model of
/// this kind cannot do (tools, response formats) is ignored, as the abstraction allows.
/// One generation runs at a time per client: the model's kernels already use every core.
/// </summary>
public sealed class TinyLMChatClient : IChatClient
{
    /// <summary>Reply tokens at most when <see cref="ChatOptions.MaxOutputTokens"/> is not set (serve's default too).</summary>
    public const int DefaultMaxOutputTokens = 256;

    private readonly TokenizedCausalLM _lm;
    private readonly string _modelId;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ChatClientMetadata _metadata;

    /// <param name="lm">A causal LM with its tokenizer (CausalLMFile.Load, CausalLMLoader.Load for GGUF / llama2.c).</param>
    /// <param name="modelId">The name this client reports as <see cref="ChatResponse.ModelId"/>.</param>
    public TinyLMChatClient(TokenizedCausalLM lm, string modelId = "tinylm")
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        _lm = lm;
        _modelId = modelId;
        _metadata = new ChatClientMetadata("tinylm", null, modelId);
    }

    /// <summary>The prompt the model continues for <paramref name="messages"/> (system <see cref="ChatOptions.Instructions"/> first).</summary>
    public static string Prompt(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = new List<ChatTurn>();
        if (!string.IsNullOrEmpty(options?.Instructions)) turns.Add(new ChatTurn(ChatRole.System.Value, options.Instructions));
        foreach (var m in messages) turns.Add(new ChatTurn(m.Role.Value, m.Text));
        return ChatTranscript.Prompt(turns);
    }

    /// <summary>ChatOptions → sampling: temperature/top-p default to 1 (plain sampling, as OpenAI's API), top-k to off,
    /// seed to a random one, max tokens to <see cref="DefaultMaxOutputTokens"/>.</summary>
    public static SamplingOptions Sampling(ChatOptions? options)
    {
        var sampling = new SamplingOptions
        {
            MaxTokens = options?.MaxOutputTokens ?? DefaultMaxOutputTokens,
            Temperature = options?.Temperature ?? 1f,
            TopP = options?.TopP ?? 1f,
            TopK = options?.TopK ?? 0,
            Stop = options?.StopSequences is { } stops ? [.. stops] : [],
            Seed = options?.Seed is long seed ? unchecked((ulong)seed) : (ulong)Random.Shared.NextInt64(),
        };
        sampling.Validate();
        return sampling;
    }

    private static ChatFinishReason Finish(StopReason reason) =>
        reason is StopReason.MaxTokens or StopReason.ContextFull ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(GenerationResult r) =>
        new() { InputTokenCount = r.PromptTokens, OutputTokenCount = r.Tokens.Length, TotalTokenCount = r.PromptTokens + r.Tokens.Length };

    private async Task<GenerationResult> GenerateAsync(string prompt, SamplingOptions sampling, Action<string>? onText, CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => new Generator(_lm).Generate(prompt, sampling, onText, cancel), cancel).ConfigureAwait(false);
        }
        finally { _gate.Release(); }
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        string prompt = Prompt(messages, options);
        var sampling = Sampling(options);
        var result = await GenerateAsync(prompt, sampling, null, cancellationToken).ConfigureAwait(false);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, result.Text))
        {
            ModelId = _modelId, ResponseId = Guid.NewGuid().ToString("N"), CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = Finish(result.StopReason), Usage = Usage(result),
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string prompt = Prompt(messages, options);
        var sampling = Sampling(options);
        string id = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        // The consumer may stop enumerating early: then the generation is cancelled too (finally below).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var generation = GenerateAsync(prompt, sampling, text => pieces.Writer.TryWrite(text), stop.Token);
        _ = generation.ContinueWith(t => pieces.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        try
        {
            await foreach (var text in pieces.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return new ChatResponseUpdate(ChatRole.Assistant, text) { ModelId = _modelId, ResponseId = id, MessageId = id, CreatedAt = created };
            var result = await generation.ConfigureAwait(false);
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(result))])
            {
                ModelId = _modelId, ResponseId = id, MessageId = id, CreatedAt = created, FinishReason = Finish(result.StopReason),
            };
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await generation.ConfigureAwait(false); }
            catch (OperationCanceledException) { }   // the cancellation asked for above, or the caller's
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(TokenizedCausalLM)) return _lm;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() => _gate.Dispose();
}
