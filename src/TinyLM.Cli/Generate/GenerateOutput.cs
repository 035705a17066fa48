namespace TinyLM.Cli.Generate;

/// <summary>The --json line of <c>tinylm generate</c>, after the generated text.</summary>
public sealed record GenerateOutput(int Tokens, double TokensPerSecond, int PromptTokens, double PromptTokensPerSecond, string StopReason, int Threads);
