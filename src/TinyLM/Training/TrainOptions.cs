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

/// <summary>
/// Settings of one training run, for every task: the fields every task shares are on this record, what only one task
/// reads is in its sub-record (<see cref="Classifier"/>, <see cref="CausalLM"/>, <see cref="Seq2Seq"/>). A plain
/// <c>new TrainOptions()</c> is the text classifier's recipe; start a language model or a translation model from
/// <see cref="ForCausalLM"/> or <see cref="ForSeq2Seq"/>, whose defaults are theirs.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>Passes over the training set (tasks counted in epochs: classification, translation).</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Optimizer steps (tasks counted in steps: the causal LM). Epoch-counted tasks ignore it.</summary>
    public int Steps { get; init; }
    /// <summary>Wall-clock budget in minutes (0 = none): no step starts after it, and the decay follows elapsed time.</summary>
    public double Minutes { get; init; }
    /// <summary>Examples (sequences) per micro-batch; translation batches by <see cref="Seq2SeqTrainOptions.BatchTokens"/> instead.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Micro-batches whose gradients are averaged into one step (the causal LM; other tasks take 1).</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>Adam/AdamW β₁.</summary>
    public float Beta1 { get; init; } = 0.9f;
    /// <summary>Adam/AdamW β₂.</summary>
    public float Beta2 { get; init; } = 0.999f;
    /// <summary>Adam/AdamW ε.</summary>
    public float Epsilon { get; init; } = 1e-8f;
    /// <summary>Weight decay (decoupled for AdamW, on matrices only; L2 for Adam/SGD).</summary>
    public float WeightDecay { get; init; }
    /// <summary>SGD momentum.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>Learning-rate schedule after warmup.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;
    /// <summary>Steps of linear warmup from 0; when 0, <see cref="WarmupFraction"/> of all steps.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Fraction of all steps spent warming the learning rate up from 0 (used when <see cref="WarmupSteps"/> is 0).</summary>
    public float WarmupFraction { get; init; }
    /// <summary>Rate at the end of the decay; null = a tenth of the peak for cosine, 0 for linear.</summary>
    public float? MinLearningRate { get; init; }

    /// <summary>Clip the global gradient norm to this (0 = no clipping).</summary>
    public float ClipNorm { get; init; } = 5f;
    /// <summary>Label smoothing of the cross-entropy target.</summary>
    public float LabelSmoothing { get; init; }
    /// <summary>
    /// Per-step decay of an exponential moving average of the weights (see <see cref="WeightAverage"/>) that is
    /// validated, restored as the best weights and left in the model at the end; 0 = off (the last step's weights).
    /// </summary>
    public float AverageDecay { get; init; }
    /// <summary>Stop after this many evaluations without a better validation score (0 = never stop early).</summary>
    public int Patience { get; init; }
    /// <summary>Keep the weights of the evaluation with the best validation score (tasks that score their epochs).</summary>
    public bool RestoreBestWeights { get; init; } = true;
    /// <summary>Seed of the batching order and of dropout (weights take the model config's seed).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Skip a batch whose loss or gradients are NaN/infinite (no weight changes) instead of stopping the run.</summary>
    public bool SkipNonFinite { get; init; }
    /// <summary>Call the checkpoint callback every N steps (0 = never).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>What only the text classifier reads.</summary>
    public ClassifierTrainOptions Classifier { get; init; } = new();
    /// <summary>What only the causal language model reads.</summary>
    public CausalLMTrainOptions CausalLM { get; init; } = new();
    /// <summary>What only the translation (sequence-to-sequence) model reads.</summary>
    public Seq2SeqTrainOptions Seq2Seq { get; init; } = new();

    /// <summary>The text classifier's defaults (the same as <c>new TrainOptions()</c>).</summary>
    public static TrainOptions ForClassifier => new();

    /// <summary>nanoGPT's shakespeare_char CPU recipe: AdamW (β₂ 0.99, decay 0.1), 100 warmup steps, cosine to 1e-4, clip 1.</summary>
    public static TrainOptions ForCausalLM => new()
    {
        Steps = 2000, BatchSize = 12, Optimizer = OptimizerKind.AdamW, Beta2 = 0.99f, WeightDecay = 0.1f,
        Schedule = ScheduleKind.Cosine, WarmupSteps = 100, MinLearningRate = 1e-4f, ClipNorm = 1f, Seed = 1337,
    };

    /// <summary>
    /// Multi30k on a small CPU: AdamW (β₂ 0.98, ε 1e-9, decay 1e-4), 300 warmup steps then a linear decay to 5% of the
    /// peak, label smoothing 0.1, clip 1, 20 epochs.
    /// </summary>
    public static TrainOptions ForSeq2Seq => new()
    {
        Epochs = 20, Optimizer = OptimizerKind.AdamW, Beta2 = 0.98f, Epsilon = 1e-9f, WeightDecay = 1e-4f,
        Schedule = ScheduleKind.Linear, WarmupSteps = 300, MinLearningRate = 0.05f * 1e-3f, LabelSmoothing = 0.1f, ClipNorm = 1f,
    };

    /// <summary>The rate the decay ends at.</summary>
    public float ResolvedMinLearningRate => MinLearningRate ?? (Schedule == ScheduleKind.Cosine ? LearningRate * 0.1f : 0f);

    /// <summary>Checks every field and says which one is wrong (in the words of the setting, not of this record).</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        Require(Epochs >= 1, $"epochs must be ≥ 1, got {Epochs}.");
        Require(Steps >= 0, $"steps must be ≥ 0, got {Steps}.");
        Require(Minutes >= 0 && double.IsFinite(Minutes), $"minutes must be ≥ 0, got {Minutes}.");
        Require(BatchSize >= 1, $"batch size must be ≥ 1, got {BatchSize}.");
        Require(GradientAccumulation >= 1, $"gradient accumulation must be ≥ 1, got {GradientAccumulation}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"learning rate must be positive, got {LearningRate}.");
        Require(Beta1 is >= 0f and < 1f, $"beta1 must be in [0, 1), got {Beta1}.");
        Require(Beta2 is > 0f and < 1f, $"beta2 must be in (0, 1), got {Beta2}.");
        Require(Epsilon > 0 && float.IsFinite(Epsilon), $"epsilon must be positive, got {Epsilon}.");
        Require(WeightDecay >= 0, $"weight decay must be ≥ 0, got {WeightDecay}.");
        Require(WarmupSteps >= 0, $"warmup steps must be ≥ 0, got {WarmupSteps}.");
        Require(WarmupFraction is >= 0 and < 1, $"warmup fraction must be in [0, 1), got {WarmupFraction}.");
        Require(ResolvedMinLearningRate >= 0 && ResolvedMinLearningRate <= LearningRate,
            $"min learning rate must be in [0, {LearningRate}], got {ResolvedMinLearningRate}.");
        Require(ClipNorm >= 0, $"clip norm must be ≥ 0, got {ClipNorm}.");
        Require(LabelSmoothing is >= 0 and < 1, $"label smoothing must be in [0, 1), got {LabelSmoothing}.");
        Require(AverageDecay is >= 0 and < 1, $"average decay must be in [0, 1), got {AverageDecay}.");
        Require(Patience >= 0, $"patience must be ≥ 0, got {Patience}.");
        Require(CheckpointEvery >= 0, $"checkpoint every must be ≥ 0, got {CheckpointEvery}.");
        ArgumentNullException.ThrowIfNull(Classifier);
        ArgumentNullException.ThrowIfNull(CausalLM);
        ArgumentNullException.ThrowIfNull(Seq2Seq);
        Classifier.Validate(this);
        CausalLM.Validate();
        Seq2Seq.Validate();
    }
}

/// <summary>Training settings that only the text classifier reads.</summary>
public sealed record ClassifierTrainOptions
{
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

    internal void Validate(TrainOptions options)
    {
        if (!(WarmStartLearningRate > 0 && float.IsFinite(WarmStartLearningRate)))
            throw new ArgumentException($"warm-start learning rate must be positive, got {WarmStartLearningRate}.");
        if (WarmStartEpochs < 0) throw new ArgumentException($"warm-start epochs must be ≥ 0, got {WarmStartEpochs}.");
        if (SparseEmbeddingUpdates && options.Optimizer != OptimizerKind.Adam)
            throw new ArgumentException($"sparse embedding updates need the adam optimizer, got {options.Optimizer.ToString().ToLowerInvariant()}.");
    }
}

/// <summary>Training settings that only the causal language model reads.</summary>
public sealed record CausalLMTrainOptions
{
    /// <summary>Estimate train/val loss every N steps (and at the end; 0 = only at the end).</summary>
    public int EvalEvery { get; init; } = 250;
    /// <summary>Fixed batches per loss estimate.</summary>
    public int EvalBatches { get; init; } = 20;
    /// <summary>Also measure the loss over the whole validation split (every non-overlapping window) at the end.</summary>
    public bool FullValidation { get; init; }
    /// <summary>Share of the corpus (its end) held out for validation.</summary>
    public double ValidFraction { get; init; } = 0.1;
    /// <summary>Whether the embedding tables (token, position; the output matrix when tied) get weight decay too, as in nanoGPT.</summary>
    public bool DecayEmbeddings { get; init; } = true;

    internal void Validate()
    {
        if (EvalEvery < 0 || EvalBatches < 1) throw new ArgumentException($"eval every {EvalEvery} / eval batches {EvalBatches} are invalid.");
        if (ValidFraction is not (> 0 and < 1)) throw new ArgumentException($"valid fraction must be in (0, 1), got {ValidFraction}.");
    }
}

/// <summary>Training settings that only the translation (sequence-to-sequence) model reads.</summary>
public sealed record Seq2SeqTrainOptions
{
    /// <summary>Padded tokens per batch (rows × longest row of source or target).</summary>
    public int BatchTokens { get; init; } = 2500;
    /// <summary>Training pairs with more source or target tokens than this are left out.</summary>
    public int MaxTrainLength { get; init; } = 100;

    internal void Validate()
    {
        if (BatchTokens < 1) throw new ArgumentException($"batch tokens must be ≥ 1, got {BatchTokens}.");
        if (MaxTrainLength < 2) throw new ArgumentException($"max train length must be ≥ 2, got {MaxTrainLength}.");
    }
}
