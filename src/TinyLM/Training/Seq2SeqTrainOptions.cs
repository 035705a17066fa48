namespace TinyLM.Training;

/// <summary>How <see cref="Seq2SeqTrainer"/> trains; every default suits Multi30k on a small CPU.</summary>
public sealed record Seq2SeqTrainOptions
{
    /// <summary>Passes over the training data (an upper bound when <see cref="Minutes"/> is set).</summary>
    public int Epochs { get; init; } = 20;
    /// <summary>Wall-clock budget in minutes (0 = none). The learning rate then decays linearly with elapsed time.</summary>
    public double Minutes { get; init; }
    /// <summary>Padded tokens per batch (rows × longest row of source or target).</summary>
    public int BatchTokens { get; init; } = 2500;
    /// <summary>Peak learning rate (AdamW, β₂ = 0.98).</summary>
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>Linear warm-up steps.</summary>
    public int WarmupSteps { get; init; } = 300;
    /// <summary>Decoupled weight decay of weight matrices.</summary>
    public float WeightDecay { get; init; } = 1e-4f;
    /// <summary>Label smoothing ε of the cross-entropy.</summary>
    public float LabelSmoothing { get; init; } = 0.1f;
    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public float ClipNorm { get; init; } = 1f;
    /// <summary>Training pairs with more source or target tokens than this are left out.</summary>
    public int MaxTrainLength { get; init; } = 100;
    /// <summary>Seed of the batch order (weights are seeded by the model config).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Call the trainer's checkpoint callback every N steps (0 = never).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Throws on a bad field, naming it.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"Seq2SeqTrainOptions: {message}");
        }
        Require(Epochs >= 1, $"Epochs must be ≥ 1, got {Epochs}.");
        Require(Minutes >= 0 && double.IsFinite(Minutes), $"Minutes must be ≥ 0, got {Minutes}.");
        Require(BatchTokens >= 1, $"BatchTokens must be ≥ 1, got {BatchTokens}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"LearningRate must be > 0, got {LearningRate}.");
        Require(WarmupSteps >= 0, $"WarmupSteps must be ≥ 0, got {WarmupSteps}.");
        Require(WeightDecay >= 0, $"WeightDecay must be ≥ 0, got {WeightDecay}.");
        Require(LabelSmoothing is >= 0f and < 1f, $"LabelSmoothing must be in [0, 1), got {LabelSmoothing}.");
        Require(ClipNorm >= 0, $"ClipNorm must be ≥ 0, got {ClipNorm}.");
        Require(CheckpointEvery >= 0, $"CheckpointEvery must be ≥ 0, got {CheckpointEvery}.");
        Require(MaxTrainLength >= 2, $"MaxTrainLength must be ≥ 2, got {MaxTrainLength}.");
    }
}

/// <summary>What a translation training run measured.</summary>
public sealed record Seq2SeqTrainResult
{
    public int EpochsRun { get; init; }
    public int Steps { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>Non-padding source plus target tokens processed.</summary>
    public long Tokens { get; init; }
    public double TokensPerSecond => TrainSeconds > 0 ? Tokens / TrainSeconds : 0;
    public double FinalTrainLoss { get; init; }
    /// <summary>Best validation loss (the weights kept), or null without validation data.</summary>
    public double? ValidLoss { get; init; }
    public int BestEpoch { get; init; }
    /// <summary>Training pairs left out for length.</summary>
    public int Filtered { get; init; }
    public bool TimeBudgetReached { get; init; }
}
