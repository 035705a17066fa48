namespace TinyLM.Training.Insight;

/// <summary>Why a classifier gave (or would give) a text a label: one score per input position.</summary>
public sealed record Explanation
{
    /// <summary>How the scores were measured.</summary>
    public required AttributionMethod Method { get; init; }
    /// <summary>Index of the label explained (the prediction, or the one asked for).</summary>
    public required int Label { get; init; }
    /// <summary>Index of the whole saved model's most probable label.</summary>
    public required int Predicted { get; init; }
    /// <summary>The whole saved model's probability of <see cref="Label"/> for the text (mixture included).</summary>
    public required float Probability { get; init; }
    /// <summary>Every input position, in the order the model reads them.</summary>
    public required IReadOnlyList<TokenAttribution> Tokens { get; init; }

    /// <summary>Integrated gradients: the Gauss–Legendre nodes of the final sum (the steps asked for, more where the path was refined); 0 for occlusion.</summary>
    public int Steps { get; init; }
    /// <summary>Integrated gradients: the network's logit of the label for the text; null for occlusion.</summary>
    public float? Logit { get; init; }
    /// <summary>Integrated gradients: the network's logit of the label with every token embedding zero; null for occlusion.</summary>
    public float? BaselineLogit { get; init; }
    /// <summary>
    /// Integrated gradients: |Σ scores − (logit − baseline logit)| / |logit − baseline logit| — how far the attributions
    /// are from explaining the whole difference (the completeness axiom; ≤ 0.01 is the target); null for occlusion.
    /// </summary>
    public float? CompletenessGap { get; init; }
    /// <summary>Whether the scores explain the network alone while the saved model also mixes in naive Bayes/SVM heads.</summary>
    public bool NetworkOnly { get; init; }

    /// <summary>The <paramref name="count"/> tokens with the largest scores, largest first (ties: earlier position first).</summary>
    public IReadOnlyList<TokenAttribution> Top(int count) =>
        [.. Tokens.Select((t, i) => (t, i)).OrderByDescending(p => p.t.Score).ThenBy(p => p.i).Take(count).Select(p => p.t)];
}
