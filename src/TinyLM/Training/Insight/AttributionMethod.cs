namespace TinyLM.Training.Insight;

/// <summary>How a token's contribution to a label is measured.</summary>
public enum AttributionMethod
{
    /// <summary>Drop the token and see how much the whole saved model's probability of the label falls (any model, mixtures included).</summary>
    Occlusion,

    /// <summary>
    /// Integrated gradients of the network's logit through the token embeddings, from a zero-embedding baseline
    /// (Sundararajan et al. 2017): needs a float network; explains the network, not a naive Bayes/SVM head.
    /// </summary>
    IntegratedGradients,
}
