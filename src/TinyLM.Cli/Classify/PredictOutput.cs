using TinyLM.Cli.Insight;

namespace TinyLM.Cli.Classify;

/// <summary>
/// One --json line of <c>tinylm predict</c> per text: the best label and every label's probability, and with
/// <c>--explain</c> the tokens that pushed most towards the label.
/// </summary>
public sealed record PredictOutput(string Label, Dictionary<string, float> Probabilities, List<ExplainTokenOutput>? TopTokens = null);
