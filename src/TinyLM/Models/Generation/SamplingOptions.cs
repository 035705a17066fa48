namespace TinyLM.Models.Generation;

/// <summary>How the next token is chosen and when generation stops; the defaults sample moderately.</summary>
public sealed record SamplingOptions
{
    /// <summary>Logits are divided by this; 0 means greedy (argmax).</summary>
    public float Temperature { get; init; } = 0.8f;
    /// <summary>Keep only the K most probable tokens (0 = all).</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most probable tokens whose mass reaches P (1 = all).</summary>
    public float TopP { get; init; } = 1f;
    /// <summary>Drop tokens less probable than MinP × the most probable one (0 = none).</summary>
    public float MinP { get; init; }
    /// <summary>CTRL repetition penalty on tokens already in the sequence (1 = none).</summary>
    public float RepetitionPenalty { get; init; } = 1f;
    /// <summary>Tokens to generate at most.</summary>
    public int MaxTokens { get; init; } = 256;
    /// <summary>Generation stops before any of these strings would be emitted.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
    /// <summary>Seed of the sampling RNG: same seed, model and prompt → same text.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Greedy decoding (temperature 0).</summary>
    public static SamplingOptions Greedy => new() { Temperature = 0f };

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"SamplingOptions: {message}");
        }
        Require(Temperature >= 0 && float.IsFinite(Temperature), $"temperature must be ≥ 0, got {Temperature}.");
        Require(TopK >= 0, $"top-k must be ≥ 0, got {TopK}.");
        Require(TopP is > 0f and <= 1f, $"top-p must be in (0, 1], got {TopP}.");
        Require(MinP is >= 0f and <= 1f, $"min-p must be in [0, 1], got {MinP}.");
        Require(RepetitionPenalty > 0 && float.IsFinite(RepetitionPenalty), $"repetition penalty must be positive, got {RepetitionPenalty}.");
        Require(MaxTokens >= 0, $"max tokens must be ≥ 0, got {MaxTokens}.");
        foreach (var s in Stop) Require(!string.IsNullOrEmpty(s), "stop strings must not be empty.");
    }
}
