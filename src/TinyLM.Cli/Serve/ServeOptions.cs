namespace TinyLM.Cli.Serve;

/// <summary>Settings of <c>tinylm serve</c> (its options; defaults here).</summary>
public sealed record ServeOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;
    /// <summary>Texts per batched classifier or translation forward at most.</summary>
    public int MaxBatch { get; init; } = 64;
    /// <summary>How long the batcher waits for more requests to join a batch.</summary>
    public TimeSpan BatchWait { get; init; } = TimeSpan.FromMilliseconds(2);
    /// <summary>Request body bytes at most (413 beyond).</summary>
    public long MaxBody { get; init; } = 256 * 1024;
    /// <summary>Texts per classify or translate request at most.</summary>
    public int MaxTexts { get; init; } = 256;
    /// <summary>Characters per text or prompt at most.</summary>
    public int MaxTextLength { get; init; } = 16_384;
    /// <summary>max_tokens at most.</summary>
    public int MaxTokens { get; init; } = 4096;
    /// <summary>Seconds a request may take (504 beyond; a stream is cut).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Beam width of a translate request that names none (the CLI's default).</summary>
    public int DefaultBeam { get; init; } = 5;
    /// <summary>Beam width a translate request may ask for at most.</summary>
    public int MaxBeam { get; init; } = 16;
    /// <summary>GNMT length penalty α of served translations (the CLI's default).</summary>
    public float LengthPenalty { get; init; } = 0.6f;
    /// <summary>Requests running at once; as many again may wait, more get 429.</summary>
    public int Concurrency { get; init; } = 256;
}
