using TinyLM.Models.Encoders;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// embedding → encoder (bag | cnn | bilstm | bigru | transformer) → pooling → dropout → linear → softmax
/// (or sigmoid for multi-label). Holds its tokenizer and label map so it can run on raw text.
/// <code>
/// var model = TextClassifier.Create(TextClassifierConfig.SeedBiLstm, trainExamples);
/// var logits = model.Forward(batch);   // (B, C)
/// </code>
/// </summary>
public sealed class TextClassifier : Module
{
    private readonly Embedding _embedding;
    private readonly TextEncoder _encoder;
    private readonly Dropout _dropout;
    private readonly Linear _output;

    public TextClassifier(TextClassifierConfig config, WordTokenizer tokenizer, LabelMap labels)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (labels.Count < 2 && !config.MultiLabel)
            throw new ArgumentException($"TextClassifier: a single-label classifier needs at least 2 labels, got {labels.Count}.");
        Config = config;
        Tokenizer = tokenizer;
        Labels = labels;
        Inputs = new ClassifierInputs(config, tokenizer);
        var rng = new Rng(config.Seed);
        _embedding = RegisterModule("embedding", new Embedding(Inputs.EmbeddingRows, config.EmbedDim, rng.Split(), paddingIndex: 0));
        _encoder = RegisterModule("encoder", TextEncoder.Create(config, rng.Split()));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng.Split()));
        _output = RegisterModule("output", new Linear(_encoder.OutputSize, labels.Count, rng.Split()));
    }

    /// <summary>Architecture and preprocessing.</summary>
    public TextClassifierConfig Config { get; }
    /// <summary>The fitted word tokenizer.</summary>
    public WordTokenizer Tokenizer { get; }
    /// <summary>Label names in output order.</summary>
    public LabelMap Labels { get; }
    /// <summary>Text → ids as this model expects them.</summary>
    public ClassifierInputs Inputs { get; }
    /// <summary>The encoder module, for inference engines that run it as it is.</summary>
    public TextEncoder Encoder => _encoder;
    /// <summary>When set (a quantized model), prediction runs this instead of the float32 forward pass.</summary>
    public IClassifierEngine? InferenceEngine { get; set; }

    /// <summary>The token embedding table (rows: word ids, then bigram buckets).</summary>
    public Embedding Embedding => _embedding;

    /// <summary>Fits a tokenizer and label map on training examples and builds a fresh model.</summary>
    public static TextClassifier Create(TextClassifierConfig config, IReadOnlyList<TextExample> training)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (training.Count == 0) throw new ArgumentException("TextClassifier.Create: no training examples.");
        var tokenizer = new WordTokenizer(config.VocabSize, oovToken: "<oov>").Fit(training.Select(e => e.Text));
        var labels = LabelMap.FromExamples(training);
        return new TextClassifier(config, tokenizer, labels);
    }

    /// <summary>Logits (B, C) for a padded batch of ids.</summary>
    public Tensor Forward(PaddedBatch batch)
    {
        var ids = new IntTensor(batch.Ids, batch.B, batch.T);
        var x = _embedding.Forward(ids);                // (B, T, E)
        var features = _encoder.Forward(x, batch.Lengths); // (B, F)
        features = _dropout.Forward(features);
        return _output.Forward(features);               // (B, C)
    }

    /// <summary>Class probabilities (softmax, or per-label sigmoid when multi-label) for each text.</summary>
    public float[][] PredictProbabilities(IReadOnlyList<string> texts, int batchSize = 64)
    {
        var ids = Inputs.EncodeAll(texts);
        var result = new float[texts.Count][];
        bool wasTraining = Training;
        Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var indices in Batching.Sequential(texts.Count, batchSize))
            {
                using var scope = new TensorScope();
                var batch = Batching.Pad(ids, indices);
                var logits = InferenceEngine?.Forward(batch) ?? Forward(batch);         // (B, C)
                var probs = (Config.MultiLabel ? logits.Sigmoid() : logits.Softmax(-1)).ToArray();
                int c = Labels.Count;
                for (int i = 0; i < indices.Length; i++) result[indices[i]] = probs.AsSpan(i * c, c).ToArray();
            }
        }
        finally
        {
            Train(wasTraining);
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
