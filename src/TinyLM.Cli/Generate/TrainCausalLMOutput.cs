namespace TinyLM.Cli.Generate;

/// <summary>The --json line of <c>tinylm train lm</c>; <see cref="ValLossFull"/> only with --eval-full.</summary>
public sealed record TrainCausalLMOutput(
    double ValLoss, double? ValLossFull, double TrainLoss, double TrainSeconds, double TotalSeconds, double TokensPerSecond,
    double ModelFlopsPerToken, long Parameters, double Mfu, int Steps, int Threads, string Model);
