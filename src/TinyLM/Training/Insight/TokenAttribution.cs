namespace TinyLM.Training.Insight;

/// <summary>One input position as the model sees it and how much it pushed the label: positive for, negative against.</summary>
/// <param name="Id">The token id (a hashed word-bigram id for models with bigram buckets).</param>
/// <param name="Piece">The text it stands for (see <see cref="ClassifierPieces"/>).</param>
/// <param name="Score">
/// Occlusion: the label's probability with the text minus without this token. Integrated gradients: this token's share
/// of the logit difference from the baseline (scores sum to it, see <see cref="Explanation.CompletenessGap"/>).
/// </param>
public sealed record TokenAttribution(int Id, string Piece, float Score);
