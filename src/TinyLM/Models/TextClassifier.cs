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
    private readonly NaiveBayesHead? _naiveBayes;
    private readonly LinearSvmHead? _linearSvm;

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
        _embedding = RegisterModule("embedding", new Embedding(Inputs.EmbeddingRows, config.EmbedDim, rng.Split(), paddingIndex: 0, std: config.EmbedInitStd ?? 1f));
        _encoder = RegisterModule("encoder", TextEncoder.Create(config, rng.Split()));
        _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng.Split()));
        _output = RegisterModule("output", new Linear(_encoder.OutputSize, labels.Count, rng.Split()));
        if (config.NaiveBayesWeight > 0f) _naiveBayes = RegisterModule("nb", new NaiveBayesHead(Inputs.EmbeddingRows, labels.Count));
        if (config.LinearSvmWeight > 0f) _linearSvm = RegisterModule("svm", new LinearSvmHead(Inputs.EmbeddingRows, labels.Count));
    }

    /// <summary>Architecture and preprocessing.</summary>
    public TextClassifierConfig Config { get; }
    /// <summary>The fitted word tokenizer.</summary>
    public WordTokenizer Tokenizer { get; }
    /// <summary>Label names in output order.</summary>
    public LabelMap Labels { get; }
    /// <summary>Text → ids as this model expects them.</summary>
    public ClassifierInputs Inputs { get; }
    /// <summary>The encoder module.</summary>
    public TextEncoder Encoder => _encoder;
    /// <summary>The output layer (features → class logits).</summary>
    public Linear Output => _output;
    /// <summary>
    /// The quantization type of a quantized model ("int8", "q8_0", "q4_0"; what its file records), or null for a float32
    /// one. Its quantized weights are held by the layers themselves (see <see cref="Module.SetWeightFormat"/>).
    /// </summary>
    public string? Quantization { get; set; }

    /// <summary>The token embedding table (rows: word ids, then bigram buckets).</summary>
    public Embedding Embedding => _embedding;

    /// <summary>Fits a tokenizer and label map on training examples and builds a fresh model.</summary>
    public static TextClassifier Create(TextClassifierConfig config, IReadOnlyList<TextExample> training)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (training.Count == 0) throw new ArgumentException("TextClassifier.Create: no training examples.");
        var tokenizer = new WordTokenizer(config.VocabSize, oovToken: "<oov>").Fit(training.Select(e => e.Text));
        if (config.WordBigrams) tokenizer = WithTrainingBigrams(tokenizer, training);
        var labels = LabelMap.FromExamples(training);
        return new TextClassifier(config, tokenizer, labels);
    }

    // The capped word vocabulary followed by every bigram of the training texts, most frequent first.
    private static WordTokenizer WithTrainingBigrams(WordTokenizer words, IReadOnlyList<TextExample> training)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var example in training)
        {
            var tokens = words.Tokenize(example.Text);
            for (int i = 0; i + 1 < tokens.Count; i++)
            {
                string key = ClassifierInputs.BigramKey(tokens[i], tokens[i + 1]);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        var bigrams = counts.ToList();
        bigrams.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        var vocabulary = new List<string>(words.VocabSize + bigrams.Count);
        for (int id = words.OovId is null ? 1 : 2; id < words.VocabSize; id++) vocabulary.Add(words.IdToWord(id));
        foreach (var (bigram, _) in bigrams) vocabulary.Add(bigram);
        return words.WithWords(vocabulary);
    }

    /// <summary>The naive Bayes model mixed into predictions, when <see cref="TextClassifierConfig.NaiveBayesWeight"/> &gt; 0.</summary>
    public NaiveBayesHead? NaiveBayes => _naiveBayes;

    /// <summary>The tf-idf linear SVM mixed into predictions, when <see cref="TextClassifierConfig.LinearSvmWeight"/> &gt; 0.</summary>
    public LinearSvmHead? LinearSvm => _linearSvm;

    /// <summary>
    /// Logits (B, C) for a padded batch of ids. In evaluation mode with a naive Bayes or SVM head these are the mixed
    /// log-probabilities; in training mode always the network's own logits (the heads are fitted outside the loop).
    /// </summary>
    public Tensor Forward(PaddedBatch batch)
    {
        return Training ? ForwardNetwork(batch) : MixedLogits(batch);
    }

    // Evaluation-mode logits (B, C): the network's (not computed at all when the SVM alone decides) mixed with the heads.
    private Tensor MixedLogits(PaddedBatch batch) => MixHeads(SvmAlone ? DeadLogits(batch) : ForwardNetwork(batch), batch);

    /// <summary>
    /// Whether the SVM alone decides (λ = 1): the mixture multiplies the network's (and naive Bayes') log-probabilities
    /// by 1 − λ = 0, so inference need not compute them.
    /// </summary>
    public bool SvmAlone => _linearSvm is not null && Config.LinearSvmWeight == 1f;

    /// <summary>
    /// Stand-in network logits (B, C) for <see cref="SvmAlone"/>: zeros, whose log-probabilities times 0 give the mixture the
    /// same values as any finite logits would (up to the sign of a zero, which softmax and argmax of the probabilities ignore).
    /// </summary>
    public Tensor DeadLogits(PaddedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Tensor.Zeros(batch.B, Labels.Count);
    }

    /// <summary>
    /// Mixes the naive Bayes head, then the SVM head, into network logits (B, C); without heads, returns them unchanged.
    /// </summary>
    public Tensor MixHeads(Tensor logits, PaddedBatch batch)
    {
        if (_naiveBayes is not null) logits = _naiveBayes.Blend(logits, batch, Config.NaiveBayesWeight);
        if (_linearSvm is not null) logits = _linearSvm.Blend(logits, batch, Config.LinearSvmWeight);
        return logits;
    }

    /// <summary>The network's logits (B, C), without the naive Bayes mixture.</summary>
    public Tensor ForwardNetwork(PaddedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // A bag over a quantized table sums its rows straight into each text's mean (an EmbeddingBag).
        var features = _encoder is BagEncoder && _embedding.IsQuantized
            ? _embedding.MeanOfRows(batch.Ids, batch.B, batch.T, batch.Lengths)               // (B, E)
            : _encoder.Forward(_embedding.Forward(new IntTensor(batch.Ids, batch.B, batch.T)), batch.Lengths); // (B, F)
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
                var logits = MixedLogits(batch); // (B, C)
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
