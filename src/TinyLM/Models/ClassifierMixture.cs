using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// What a classifier predicts from: the network's log-probabilities mixed with a naive Bayes model's (weight γ) and then
/// a tf-idf linear SVM's scores (weight λ), each head optional. <see cref="TextClassifier.Forward"/> gives the network's
/// logits alone (what training fits); this gives the mixture's (what prediction and evaluation use).
/// <code>
/// var probabilities = model.Mixture.PredictProbabilities(texts);   // (N)(C)
/// </code>
/// </summary>
public sealed class ClassifierMixture
{
    /// <param name="network">The embedding → encoder → pooling → output network.</param>
    /// <param name="naiveBayes">The naive Bayes head, or null.</param>
    /// <param name="naiveBayesWeight">γ, in [0, 1].</param>
    /// <param name="linearSvm">The linear SVM head, or null.</param>
    /// <param name="linearSvmWeight">λ, in [0, 1].</param>
    public ClassifierMixture(TextClassifier network, NaiveBayesHead? naiveBayes, float naiveBayesWeight, LinearSvmHead? linearSvm, float linearSvmWeight)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (naiveBayesWeight is not (>= 0f and <= 1f) || linearSvmWeight is not (>= 0f and <= 1f))
            throw new ArgumentOutOfRangeException(nameof(naiveBayesWeight), $"ClassifierMixture: γ ({naiveBayesWeight}) and λ ({linearSvmWeight}) must be in [0, 1].");
        Network = network;
        NaiveBayes = naiveBayes;
        NaiveBayesWeight = naiveBayesWeight;
        LinearSvm = linearSvm;
        LinearSvmWeight = linearSvmWeight;
    }

    /// <summary>The network whose logits are mixed.</summary>
    public TextClassifier Network { get; }
    /// <summary>The naive Bayes head, or null.</summary>
    public NaiveBayesHead? NaiveBayes { get; }
    /// <summary>γ of the naive Bayes head.</summary>
    public float NaiveBayesWeight { get; }
    /// <summary>The tf-idf linear SVM head, or null.</summary>
    public LinearSvmHead? LinearSvm { get; }
    /// <summary>λ of the SVM head.</summary>
    public float LinearSvmWeight { get; }
    /// <summary>Label names in output order.</summary>
    public LabelMap Labels => Network.Labels;

    /// <summary>Whether there is anything to mix into the network's logits.</summary>
    public bool HasHeads => NaiveBayes is not null || LinearSvm is not null;

    /// <summary>
    /// Whether the SVM alone decides (λ = 1): the mixture multiplies the network's (and naive Bayes') log-probabilities
    /// by 1 − λ = 0, so inference need not compute them.
    /// </summary>
    public bool SvmAlone => LinearSvm is not null && LinearSvmWeight == 1f;

    /// <summary>
    /// The mixture's logits (B, C) for a padded batch, with the network in whatever mode it is in (callers predicting
    /// switch it to evaluation). When the SVM alone decides the network is not run: zeros stand in for its logits, whose
    /// log-probabilities times 0 give the same values as any finite logits would (up to the sign of a zero, which softmax
    /// and argmax ignore).
    /// </summary>
    public Tensor Logits(PaddedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Mix(SvmAlone ? Tensor.Zeros(batch.B, Labels.Count) : Network.Forward(batch), batch);
    }

    /// <summary>Mixes the naive Bayes head, then the SVM head, into network logits (B, C); without heads, returns them unchanged.</summary>
    public Tensor Mix(Tensor networkLogits, PaddedBatch batch)
    {
        var logits = networkLogits;
        if (NaiveBayes is not null) logits = NaiveBayes.Blend(logits, batch, NaiveBayesWeight);
        if (LinearSvm is not null) logits = LinearSvm.Blend(logits, batch, LinearSvmWeight);
        return logits;
    }

    /// <summary>Class probabilities (softmax, or per-label sigmoid when multi-label) for each text.</summary>
    public float[][] PredictProbabilities(IReadOnlyList<string> texts, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = Network.Inputs.EncodeAll(texts);
        var result = new float[texts.Count][];
        bool wasTraining = Network.Training;
        Network.Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var indices in Batching.Sequential(texts.Count, batchSize))
            {
                using var scope = new TensorScope();
                var logits = Logits(Batching.Pad(ids, indices)); // (B, C)
                var probs = (Network.Config.MultiLabel ? logits.Sigmoid() : logits.Softmax(-1)).ToArray();
                int c = Labels.Count;
                for (int i = 0; i < indices.Length; i++) result[indices[i]] = probs.AsSpan(i * c, c).ToArray();
            }
        }
        finally
        {
            Network.Train(wasTraining);
        }
        return result;
    }

    /// <summary>The most probable label index for each text.</summary>
    public int[] Predict(IReadOnlyList<string> texts, int batchSize = 64)
    {
        var probs = PredictProbabilities(texts, batchSize);
        var result = new int[probs.Length];
        for (int i = 0; i < probs.Length; i++)
            result[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs[i]);
        return result;
    }
}
