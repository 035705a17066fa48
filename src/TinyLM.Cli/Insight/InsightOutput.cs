using System.Text.Json.Serialization;

namespace TinyLM.Cli.Insight;

/// <summary>The --json object of <c>tinylm tokenize</c>: the ids the model reads and the piece of text each stands for.</summary>
public sealed record TokenizeOutput(int[] Ids, string[] Tokens);

/// <summary>One input position in <c>tinylm explain</c>'s --json object.</summary>
public sealed record ExplainTokenOutput(int Id, string Token, float Score);

/// <summary>The --json object of <c>tinylm explain</c> (fields: docs/cli.md).</summary>
public sealed record ExplainOutput(
    string Label, string Predicted, float Probability, string Method, List<ExplainTokenOutput> Tokens, int? Steps, float? Logit,
    float? BaselineLogit, float? CompletenessGap, bool NetworkOnly, double Seconds);

/// <summary>One token in <c>tinylm score</c>'s --json object; the surprisal is null for a first token nothing predicts.</summary>
public sealed record ScoreTokenOutput(
    int Id, string Token, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Nats,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Bits);

/// <summary>The --json object of <c>tinylm score</c> (fields: docs/cli.md).</summary>
public sealed record ScoreOutput(List<ScoreTokenOutput> Tokens, int ScoredTokens, double TotalNats, double TotalBits, double Perplexity, int ContextRestarts);
