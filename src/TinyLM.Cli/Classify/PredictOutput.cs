namespace TinyLM.Cli.Classify;

/// <summary>One --json line of <c>tinylm predict</c> per text: the best label and every label's probability.</summary>
public sealed record PredictOutput(string Label, Dictionary<string, float> Probabilities);
