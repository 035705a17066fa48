using Microsoft.Extensions.AI;
using TinyLM.Models;
using TinyLM.Models.Encoders;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Extensions.AI;

/// <summary>
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over a TinyLM text classifier's encoder: a text's embedding is
/// the pooled encoder features the classifier's output layer reads (the mean of the word vectors for a bag, the pooled
/// states of a BiLSTM/CNN/transformer encoder), <see cref="TextEncoder.OutputSize"/> floats. A model without a
/// network (the linear SVM alone, e.g. the default R8 model) has no such features and is refused at construction.
/// One batch runs at a time per generator.
/// </summary>
public sealed class TinyLMEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly TextClassifier _model;
    private readonly string _modelId;
    private readonly int _batchSize;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <param name="model">A classifier with a network (TextClassifierFile.Load).</param>
    /// <param name="modelId">The name reported as <see cref="Embedding.ModelId"/>.</param>
    /// <param name="batchSize">Texts per forward pass.</param>
    public TinyLMEmbeddingGenerator(TextClassifier model, string modelId = "tinylm", int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!model.HasNetwork)
            throw new ArgumentException("TinyLMEmbeddingGenerator: this classifier is the linear SVM alone (no embedding or encoder), so it has no " +
                "text features to embed with; train one with a network (e.g. --encoder bag or bilstm, without --svm-only).", nameof(model));
        _model = model;
        _modelId = modelId;
        _batchSize = batchSize;
        _metadata = new EmbeddingGeneratorMetadata("tinylm", null, modelId, model.Encoder.OutputSize);
    }

    /// <summary>Floats per embedding.</summary>
    public int Dimensions => _model.Encoder.OutputSize;

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToList();
        if (texts.Any(t => t is null)) throw new ArgumentException("TinyLMEmbeddingGenerator: a text is null.", nameof(values));
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (vectors, tokens) = await Task.Run(() => Features(texts, cancellationToken), cancellationToken).ConfigureAwait(false);
            var created = DateTimeOffset.UtcNow;
            return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = _modelId, CreatedAt = created }))
            {
                Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens },
            };
        }
        finally { _gate.Release(); }
    }

    // The classifier's pooled features in evaluation mode, batch by batch.
    private (float[][] Vectors, long Tokens) Features(List<string> texts, CancellationToken cancel)
    {
        var ids = _model.Inputs.EncodeAll(texts);
        var result = new float[texts.Count][];
        int f = _model.Encoder.OutputSize;
        bool wasTraining = _model.Training;
        _model.Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var indices in Batching.Sequential(texts.Count, _batchSize))
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = new TensorScope();
                var batch = Batching.Pad(ids, indices);
                var values = _model.Features(batch).ToArray();
                for (int i = 0; i < indices.Length; i++) result[indices[i]] = values.AsSpan(i * f, f).ToArray();
            }
        }
        finally { _model.Train(wasTraining); }
        return (result, ids.Sum(i => (long)i.Length));
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(TextClassifier)) return _model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() => _gate.Dispose();
}
