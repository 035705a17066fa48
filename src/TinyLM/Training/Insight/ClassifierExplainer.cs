using System.Numerics.Tensors;
using TinyLM.Models;

namespace TinyLM.Training.Insight;

/// <summary>
/// Per-token contributions to a classifier's label (<c>tinylm explain</c>, <c>predict --explain</c>):
/// <code>
/// var why = ClassifierExplainer.Explain(model, "oil prices rose");            // the predicted label, default method
/// foreach (var token in why.Top(3)) Console.WriteLine($"{token.Piece} {token.Score:+0.00;-0.00}");
/// </code>
/// </summary>
public static class ClassifierExplainer
{
    /// <summary>Gradient evaluations of integrated gradients unless told otherwise.</summary>
    public const int DefaultSteps = 32;

    /// <summary>
    /// Integrated gradients for a float network that decides alone; occlusion where the saved model mixes in naive
    /// Bayes/SVM heads (gradients would explain only part of it) or has no float network to differentiate.
    /// </summary>
    public static AttributionMethod DefaultMethod(TextClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Mixture.HasHeads || IntegratedGradients.Unsupported(model) is not null ? AttributionMethod.Occlusion : AttributionMethod.IntegratedGradients;
    }

    /// <summary>
    /// Explains <paramref name="text"/>: the scores of every input position for <paramref name="label"/> (default: the
    /// saved model's prediction) by <paramref name="method"/> (default: <see cref="DefaultMethod"/>). Integrated gradients
    /// start from <paramref name="steps"/> nodes and refine up to <paramref name="maxSteps"/> (default 16 × steps).
    /// </summary>
    public static Explanation Explain(TextClassifier model, string text, AttributionMethod? method = null, int? label = null, int steps = DefaultSteps, int? maxSteps = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("explain: the text is empty; give the text to explain.");
        if (label is int asked && (uint)asked >= (uint)model.Labels.Count)
            throw new ArgumentOutOfRangeException(nameof(label), asked, $"explain: label index {asked} is outside [0, {model.Labels.Count}).");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"explain: steps must be ≥ 1, got {steps}.");
        if (maxSteps < steps) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, $"explain: max steps ({maxSteps}) must be ≥ steps ({steps}).");
        var how = method ?? DefaultMethod(model);
        var ids = model.Inputs.Encode(text);
        var pieces = ClassifierPieces.Of(model, ids);
        // Occlusion scores the text among its shortened copies; integrated gradients still report the saved model's view.
        var probabilities = how == AttributionMethod.Occlusion ? Occlusion.Probabilities(model, ids) : [model.PredictProbabilities([text])[0]];
        var whole = probabilities[0];
        int predicted = TensorPrimitives.IndexOfMax(whole);
        int target = label ?? predicted;
        var explanation = new Explanation
        {
            Method = how, Label = target, Predicted = predicted, Probability = whole[target], Tokens = [],
        };
        if (how == AttributionMethod.Occlusion)
        {
            var scores = new TokenAttribution[ids.Length];
            for (int i = 0; i < ids.Length; i++) scores[i] = new TokenAttribution(ids[i], pieces[i], whole[target] - probabilities[i + 1][target]);
            return explanation with { Tokens = scores };
        }
        var (ig, logit, baseline, used) = IntegratedGradients.Run(model, ids, target, steps, maxSteps ?? IntegratedGradients.DefaultRefinement * steps);
        double sum = 0;
        foreach (float s in ig) sum += s;
        double difference = (double)logit - baseline;
        return explanation with
        {
            Tokens = [.. ids.Select((id, i) => new TokenAttribution(id, pieces[i], ig[i]))],
            Steps = used, Logit = logit, BaselineLogit = baseline,
            CompletenessGap = (float)(Math.Abs(sum - difference) / Math.Max(Math.Abs(difference), 1e-6)),
            NetworkOnly = model.Mixture.HasHeads,
        };
    }
}
