using System.Diagnostics;

namespace TinyLM.Models.Generation;

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary><see cref="SamplingOptions.MaxTokens"/> were generated.</summary>
    MaxTokens,
    /// <summary>A stop string appeared (it is not part of the text).</summary>
    StopString,
    /// <summary>The model produced its end-of-sequence token.</summary>
    EndOfSequence,
    /// <summary>The context window is full.</summary>
    ContextFull,
}

/// <summary>What one generation produced and how fast.</summary>
public sealed record GenerationResult
{
    /// <summary>The generated text (prompt excluded, stop string excluded).</summary>
    public required string Text { get; init; }
    /// <summary>Generated token ids (the stop string's tokens included, the EOS token excluded).</summary>
    public required int[] Tokens { get; init; }
    /// <summary>Prompt tokens fed to the model (BOS included).</summary>
    public int PromptTokens { get; init; }
    /// <summary>Seconds spent on the prompt (prefill).</summary>
    public double PromptSeconds { get; init; }
    /// <summary>Seconds spent generating (decode steps and sampling).</summary>
    public double GenerateSeconds { get; init; }
    /// <summary>Why it stopped.</summary>
    public StopReason StopReason { get; init; }
    /// <summary>Generated tokens per second.</summary>
    public double TokensPerSecond => GenerateSeconds > 0 ? Tokens.Length / GenerateSeconds : 0;
    /// <summary>Prompt tokens per second.</summary>
    public double PromptTokensPerSecond => PromptSeconds > 0 ? PromptTokens / PromptSeconds : 0;
}

/// <summary>
/// Streams text from a <see cref="TokenizedCausalLM"/>: prefill the prompt into a KV-cached run state, then sample one
/// token per decode step. Text reaches the callback as soon as it is certain: a tail that could still become a stop
/// string, or an incomplete UTF-8 sequence (shown as U+FFFD), is held back until resolved.
/// <code>
/// var result = new Generator(lm).Generate("ROMEO:", SamplingOptions.Greedy with { MaxTokens = 100 }, Console.Write);
/// </code>
/// </summary>
/// <remarks>
/// Threads: the model is read-only while generating, so any number of generators over one <see cref="TokenizedCausalLM"/>
/// run at once, each on its own thread. One generator holds one run state (its KV cache), so it serves one call at a
/// time: a second concurrent call on the same generator fails with <see cref="InvalidOperationException"/> instead of
/// corrupting the first's cache.
/// </remarks>
public sealed class Generator
{
    private readonly TokenizedCausalLM _lm;
    private readonly CausalLMRunState _state;
    private int _busy; // 1 while a call uses _state

    /// <summary>A generator with its own run state (reused across calls).</summary>
    public Generator(TokenizedCausalLM lm)
    {
        ArgumentNullException.ThrowIfNull(lm);
        _lm = lm;
        _state = lm.Model.CreateRunState();
    }

    /// <summary>The prompt as the model sees it: BOS (if the model has one), then the tokens of the text.</summary>
    public int[] EncodePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var ids = _lm.Tokenizer.Encode(prompt);
        if (_lm.BosId is int bos) ids = [bos, .. ids];
        if (ids.Length == 0)
        {
            // A model without BOS still needs one position to start from: a newline, as nanoGPT's sampler does.
            var newline = _lm.Tokenizer.Encode("\n");
            ids = newline.Length > 0 ? newline : [0];
        }
        return ids;
    }

    /// <summary>Generates a continuation of <paramref name="prompt"/>, calling <paramref name="onText"/> with each new piece of text.</summary>
    public GenerationResult Generate(string prompt, SamplingOptions options, Action<string>? onText = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("Generator: already generating on another thread; a generator holds one run state, so create one generator per thread (they can share the model).");
        try
        {
            return GenerateCore(prompt, options, onText, cancel);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private GenerationResult GenerateCore(string prompt, SamplingOptions options, Action<string>? onText, CancellationToken cancel)
    {
        var promptIds = EncodePrompt(prompt);
        int context = _state.ContextLength;
        if (promptIds.Length > context)
            throw new ArgumentException($"Generator: the prompt is {promptIds.Length} tokens, longer than the model's context length {context}.");
        foreach (int id in promptIds)
            if ((uint)id >= (uint)_lm.Model.Config.VocabSize)
                throw new ArgumentException($"Generator: prompt token {id} is outside the model's vocabulary of {_lm.Model.Config.VocabSize} (vocabulary mismatch).");

        var sampler = new Sampler(options, _lm.Model.Config.VocabSize);
        var history = new int[promptIds.Length + options.MaxTokens];
        promptIds.CopyTo(history, 0);
        int count = promptIds.Length;
        var clock = Stopwatch.StartNew();
        _state.Reset();
        var logits = _state.Prefill(promptIds);
        double promptSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();

        var stream = new TextStream(_lm.Tokenizer, options.Stop, onText);
        var reason = StopReason.MaxTokens;
        int generated = 0;
        while (generated < options.MaxTokens)
        {
            cancel.ThrowIfCancellationRequested();
            int token = sampler.Next(logits, history.AsSpan(0, count));
            if (token == _lm.EosId) { reason = StopReason.EndOfSequence; break; }
            history[count++] = token;
            generated++;
            if (stream.Add(token)) { reason = StopReason.StopString; break; }
            if (generated == options.MaxTokens) break;
            if (_state.Position >= context) { reason = StopReason.ContextFull; break; }
            logits = _state.DecodeStep(token);
        }
        double generateSeconds = clock.Elapsed.TotalSeconds;
        stream.Finish();
        return new GenerationResult
        {
            Text = stream.Text, Tokens = history[promptIds.Length..count], PromptTokens = promptIds.Length,
            PromptSeconds = promptSeconds, GenerateSeconds = generateSeconds, StopReason = reason,
        };
    }
}
