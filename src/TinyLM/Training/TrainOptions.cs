namespace TinyLM.Training;

/// <summary>Which optimizer updates the weights.</summary>
public enum OptimizerKind
{
    Adam,
    AdamW,
    /// <summary>SGD with momentum.</summary>
    Sgd,
}

/// <summary>How the learning rate moves over training (after the warmup).</summary>
public enum ScheduleKind
{
    Constant,
    Linear,
    Cosine,
}

/// <summary>Settings of one training run; every default is a good default.</summary>
public sealed record TrainOptions
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Examples per step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>Optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>Weight decay (decoupled for AdamW, L2 for Adam/SGD).</summary>
    public float WeightDecay { get; init; }
    /// <summary>SGD momentum.</summary>
    public float Momentum { get; init; } = 0.9f;
    /// <summary>Learning-rate schedule after warmup.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;
    /// <summary>Fraction of all steps spent warming the learning rate up from 0.</summary>
    public float WarmupFraction { get; init; }
    /// <summary>Clip the global gradient norm to this (0 = no clipping).</summary>
    public float ClipNorm { get; init; } = 5f;
    /// <summary>Label smoothing of the cross-entropy target.</summary>
    public float LabelSmoothing { get; init; }
    /// <summary>
    /// Sequence encoders: epochs of a bag-of-words pass on the same data whose embeddings initialise the
    /// model's (see <see cref="EmbeddingWarmStart"/>); 0 = random embeddings.
    /// </summary>
    public int WarmStartEpochs { get; init; }
    /// <summary>Peak learning rate of the warm-start bag pass (linear decay); 1e-2 suits a bag of 32-example batches.</summary>
    public float WarmStartLearningRate { get; init; } = 1e-2f;
    /// <summary>
    /// Keep the embedding table as it starts (warm-started or loaded) and train only the rest; fewer trained
    /// weights on small data.
    /// </summary>
    public bool FreezeEmbeddings { get; init; }
    /// <summary>
    /// Adam only: update just the embedding rows a step looked up (lazy Adam: untouched rows keep their moments
    /// as they are). A bag of hashed n-grams has hundreds of thousands of rows of which a batch touches a few
    /// thousand, so a dense update would cost far more than the forward and backward passes.
    /// </summary>
    public bool SparseEmbeddingUpdates { get; init; }
    /// <summary>
    /// Per-step decay of an exponential moving average of the weights (see <see cref="WeightAverage"/>) that is
    /// validated, restored as the best weights and left in the model at the end; 0 = off (the last step's weights).
    /// </summary>
    public float AverageDecay { get; init; }
    /// <summary>Stop after this many epochs without a better validation accuracy (0 = never stop early).</summary>
    public int Patience { get; init; }
    /// <summary>Keep the weights of the epoch with the best validation accuracy (needs validation data).</summary>
    public bool RestoreBestWeights { get; init; } = true;
    /// <summary>Seed for batching order (weights take the model config's seed).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Call the checkpoint callback every N steps (0 = never).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"TrainOptions: {message}");
        }
        Require(Epochs >= 1, $"Epochs must be ≥ 1, got {Epochs}.");
        Require(BatchSize >= 1, $"BatchSize must be ≥ 1, got {BatchSize}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"LearningRate must be positive, got {LearningRate}.");
        Require(WeightDecay >= 0, $"WeightDecay must be ≥ 0, got {WeightDecay}.");
        Require(WarmupFraction is >= 0 and < 1, $"WarmupFraction must be in [0, 1), got {WarmupFraction}.");
        Require(ClipNorm >= 0, $"ClipNorm must be ≥ 0, got {ClipNorm}.");
        Require(LabelSmoothing is >= 0 and < 1, $"LabelSmoothing must be in [0, 1), got {LabelSmoothing}.");
        Require(WarmStartLearningRate > 0 && float.IsFinite(WarmStartLearningRate), $"WarmStartLearningRate must be positive, got {WarmStartLearningRate}.");
        Require(WarmStartEpochs >= 0, $"WarmStartEpochs must be ≥ 0, got {WarmStartEpochs}.");
        Require(!SparseEmbeddingUpdates || Optimizer == OptimizerKind.Adam, $"SparseEmbeddingUpdates needs the Adam optimizer, got {Optimizer}.");
        Require(AverageDecay is >= 0 and < 1, $"AverageDecay must be in [0, 1), got {AverageDecay}.");
        Require(Patience >= 0, $"Patience must be ≥ 0, got {Patience}.");
        Require(CheckpointEvery >= 0, $"CheckpointEvery must be ≥ 0, got {CheckpointEvery}.");
    }
}
