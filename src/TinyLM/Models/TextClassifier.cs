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
/// var logits = model.Forward(batch);   // (B, C), the network's
/// int[] labels = model.Predict(texts);  // what the network mixed with its naive Bayes and SVM heads predicts
/// </code>
/// </summary>
public sealed class TextClassifier : Module
{
    // Null for an SVM-only model (see TextClassifierConfig.SvmOnly).
    private readonly Embedding? _embedding;
    private readonly TextEncoder? _encoder;
    private readonly Dropout? _dropout;
    private readonly Linear? _output;
    private readonly NaiveBayesHead? _naiveBayes;
    private readonly LinearSvmHead? _linearSvm;

    /// <param name="config">Architecture and preprocessing.</param>
    /// <param name="tokenizer">Any tokenizer whose padding id is 0 (batches are padded with 0); word bigrams need a <see cref="WordTokenizer"/>.</param>
    /// <param name="labels">Label names in output order.</param>
    public TextClassifier(TextClassifierConfig config, ITokenizer tokenizer, LabelMap labels)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(labels);
        config.Validate();
        if (tokenizer.PadId != 0)
            throw new ArgumentException($"TextClassifier: batches are padded with id 0, but the {tokenizer.Kind} tokenizer's padding id is {tokenizer.PadId?.ToString() ?? "none"}.");
        if ((config.WordBigrams || config.BigramBuckets > 0) && tokenizer is not WordTokenizer)
            throw new ArgumentException($"TextClassifier: word bigrams need a word tokenizer, got {tokenizer.Kind}.");
        if (labels.Count < 2 && !config.MultiLabel)
            throw new ArgumentException($"TextClassifier: a single-label classifier needs at least 2 labels, got {labels.Count}.");
        Config = config;
        Tokenizer = tokenizer;
        Labels = labels;
        Inputs = new ClassifierInputs(config, tokenizer);
        var rng = new Rng(config.Seed);
        if (!config.SvmOnly)
        {
            _embedding = RegisterModule("embedding", new Embedding(Inputs.EmbeddingRows, config.EmbedDim, rng.Split(), paddingIndex: 0, std: config.EmbedInitStd ?? 1f));
            _encoder = RegisterModule("encoder", TextEncoder.Create(config, rng.Split()));
            _dropout = RegisterModule("dropout", new Dropout(config.Dropout, rng.Split()));
            _output = RegisterModule("output", new Linear(_encoder.OutputSize, labels.Count, rng.Split()));
        }
        if (config.NaiveBayesWeight > 0f) _naiveBayes = RegisterModule("nb", new NaiveBayesHead(Inputs.EmbeddingRows, labels.Count));
        if (config.LinearSvmWeight > 0f) _linearSvm = RegisterModule("svm", new LinearSvmHead(Inputs.EmbeddingRows, labels.Count));
        Mixture = new ClassifierMixture(this, _naiveBayes, config.NaiveBayesWeight, _linearSvm, config.LinearSvmWeight);
    }

    /// <summary>Architecture and preprocessing.</summary>
    public TextClassifierConfig Config { get; }
    /// <summary>The fitted tokenizer.</summary>
    public ITokenizer Tokenizer { get; }
    /// <summary>The tokenizer as a word tokenizer, or null for another kind (word bigrams and vocabulary pruning need one).</summary>
    public WordTokenizer? Words => Tokenizer as WordTokenizer;
    /// <summary>Label names in output order.</summary>
    public LabelMap Labels { get; }
    /// <summary>Text → ids as this model expects them.</summary>
    public ClassifierInputs Inputs { get; }
    /// <summary>Whether there is a network (embedding → encoder → output); an SVM-only model has none.</summary>
    public bool HasNetwork => _embedding is not null;
    /// <summary>The encoder module.</summary>
    public TextEncoder Encoder => _encoder ?? throw NoNetwork();
    /// <summary>The output layer (features → class logits).</summary>
    public Linear Output => _output ?? throw NoNetwork();
    /// <summary>
    /// The quantization type of a quantized model ("int8", "q8_0", "q4_0"; what its file records), or null for a float32
    /// one. Its quantized weights are held by the layers themselves (see <see cref="Module.SetWeightFormat"/>).
    /// </summary>
    public string? Quantization { get; set; }

    /// <summary>The token embedding table (rows: word ids, then bigram buckets).</summary>
    public Embedding Embedding => _embedding ?? throw NoNetwork();

    private static InvalidOperationException NoNetwork() =>
        new("TextClassifier: this model is the linear SVM alone (SvmOnly): it has no network (embedding, encoder, output).");

    /// <summary>Fits a word tokenizer (capped at VocabSize, with an OOV token) and a label map on training examples and builds a fresh model.</summary>
    public static TextClassifier Create(TextClassifierConfig config, IReadOnlyList<TextExample> training)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(training);
        if (training.Count == 0) throw new ArgumentException("TextClassifier.Create: no training examples.");
        var tokenizer = new WordTokenizer(config.VocabSize, oovToken: "<oov>").Fit(training.Select(e => e.Text));
        if (config.WordBigrams) tokenizer = WithTrainingBigrams(tokenizer, training);
        return new TextClassifier(config, tokenizer, LabelMap.FromExamples(training));
    }

    /// <summary>Builds a fresh model over a tokenizer fitted elsewhere (word, char or byte BPE with padding id 0), labels from the examples.</summary>
    public static TextClassifier Create(TextClassifierConfig config, ITokenizer tokenizer, IReadOnlyList<TextExample> training)
    {
        ArgumentNullException.ThrowIfNull(training);
        if (training.Count == 0) throw new ArgumentException("TextClassifier.Create: no training examples.");
        return new TextClassifier(config, tokenizer, LabelMap.FromExamples(training));
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

    /// <summary>This network mixed with its naive Bayes and SVM heads: what <see cref="Predict"/> and evaluation use.</summary>
    public ClassifierMixture Mixture { get; }

    /// <summary>The network's logits (B, C) for a padded batch of ids, in training and evaluation alike (the heads' mixture is <see cref="Mixture"/>).</summary>
    public Tensor Forward(PaddedBatch batch)
    {
        var features = _dropout!.Forward(Features(batch));
        return _output!.Forward(features);               // (B, C)
    }

    /// <summary>
    /// The pooled encoder features (B, <see cref="TextEncoder.OutputSize"/>) that the output layer reads, before dropout:
    /// the text embedding that <see cref="Forward"/> classifies.
    /// </summary>
    public Tensor Features(PaddedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_embedding is null || _encoder is null || _dropout is null || _output is null) throw NoNetwork();
        // A bag over a quantized table sums its rows straight into each text's mean (an EmbeddingBag).
        return _encoder is BagEncoder && _embedding.IsQuantized
            ? _embedding.MeanOfRows(batch.Ids, batch.B, batch.T, batch.Lengths)               // (B, E)
            : _encoder.Forward(_embedding.Forward(new IntTensor(batch.Ids, batch.B, batch.T)), batch.Lengths); // (B, F)
    }

    /// <summary>Class probabilities of the <see cref="Mixture"/> (softmax, or per-label sigmoid when multi-label) for each text.</summary>
    public float[][] PredictProbabilities(IReadOnlyList<string> texts, int batchSize = 64) => Mixture.PredictProbabilities(texts, batchSize);

    /// <summary>The <see cref="Mixture"/>'s most probable label index for each text.</summary>
    public int[] Predict(IReadOnlyList<string> texts, int batchSize = 64) => Mixture.Predict(texts, batchSize);
}
