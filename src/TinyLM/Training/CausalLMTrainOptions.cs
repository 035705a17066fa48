using TinyLM.Nn;

namespace TinyLM.Training;

/// <summary>Settings of a language-model training run; defaults are nanoGPT's shakespeare_char CPU recipe.</summary>
public sealed record CausalLMTrainOptions
{
    /// <summary>Sequences per micro-batch.</summary>
    public int BatchSize { get; init; } = 12;
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 2000;
    /// <summary>Micro-batches whose gradients are summed (averaged) into one step.</summary>
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>Learning rate at the end of the cosine decay.</summary>
    public float MinLearningRate { get; init; } = 1e-4f;
    /// <summary>How the rate falls from the peak to <see cref="MinLearningRate"/> after the warmup.</summary>
    public DecayShape Decay { get; init; } = DecayShape.Cosine;
    /// <summary>Steps of linear warmup from 0.</summary>
    public int WarmupSteps { get; init; } = 100;
    /// <summary>AdamW decoupled weight decay (matrices only).</summary>
    public float WeightDecay { get; init; } = 0.1f;
    /// <summary>Whether the embedding tables (token, position; the output matrix when tied) get weight decay too, as in nanoGPT.</summary>
    public bool DecayEmbeddings { get; init; } = true;
    /// <summary>AdamW β₁.</summary>
    public float Beta1 { get; init; } = 0.9f;
    /// <summary>AdamW β₂ (0.99 for small models and batches, as nanoGPT).</summary>
    public float Beta2 { get; init; } = 0.99f;
    /// <summary>Clip the global gradient norm to this (0 = off).</summary>
    public float ClipNorm { get; init; } = 1f;
    /// <summary>Estimate train/val loss every N steps (and at the end; 0 = only at the end).</summary>
    public int EvalEvery { get; init; } = 250;
    /// <summary>Fixed batches per loss estimate.</summary>
    public int EvalBatches { get; init; } = 20;
    /// <summary>Also measure the loss over the whole validation split (every non-overlapping window) at the end.</summary>
    public bool FullValidation { get; init; }
    /// <summary>Share of the corpus (its end) held out for validation.</summary>
    public double ValidFraction { get; init; } = 0.1;
    /// <summary>Seed of the window sampling (weights take the model config's seed).</summary>
    public ulong Seed { get; init; } = 1337;
    /// <summary>Call the checkpoint callback every N steps (0 = never).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"CausalLMTrainOptions: {message}");
        }
        Require(BatchSize >= 1, $"batch size must be ≥ 1, got {BatchSize}.");
        Require(Steps >= 1, $"steps must be ≥ 1, got {Steps}.");
        Require(GradientAccumulation >= 1, $"gradient accumulation must be ≥ 1, got {GradientAccumulation}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"learning rate must be positive, got {LearningRate}.");
        Require(MinLearningRate >= 0 && MinLearningRate <= LearningRate, $"min learning rate must be in [0, {LearningRate}], got {MinLearningRate}.");
        Require(WarmupSteps >= 0, $"warmup steps must be ≥ 0, got {WarmupSteps}.");
        Require(WeightDecay >= 0, $"weight decay must be ≥ 0, got {WeightDecay}.");
        Require(Beta1 is >= 0f and < 1f, $"beta1 must be in [0, 1), got {Beta1}.");
        Require(Beta2 is > 0f and < 1f, $"beta2 must be in (0, 1), got {Beta2}.");
        Require(ClipNorm >= 0, $"clip norm must be ≥ 0, got {ClipNorm}.");
        Require(EvalEvery >= 0 && EvalBatches >= 1, $"eval every {EvalEvery} / eval batches {EvalBatches} are invalid.");
        Require(ValidFraction is > 0 and < 1, $"valid fraction must be in (0, 1), got {ValidFraction}.");
        Require(CheckpointEvery >= 0, $"checkpoint every must be ≥ 0, got {CheckpointEvery}.");
    }
}

/// <summary>What a finished language-model training run measured.</summary>
public sealed record CausalLMTrainResult
{
    public int Steps { get; init; }
    /// <summary>Final estimate over the fixed training batches.</summary>
    public double TrainLoss { get; init; }
    /// <summary>Final estimate over the fixed validation batches.</summary>
    public double ValidationLoss { get; init; }
    /// <summary>Mean loss over every token of the validation split's non-overlapping windows (null unless <see cref="CausalLMTrainOptions.FullValidation"/>).</summary>
    public double? FullValidationLoss { get; init; }
    /// <summary>Wall seconds of the optimisation steps (evaluations excluded).</summary>
    public double TrainSeconds { get; init; }
    /// <summary>Wall seconds including evaluations.</summary>
    public double TotalSeconds { get; init; }
    /// <summary>Tokens consumed by the optimisation steps of this run.</summary>
    public long Tokens { get; init; }
    public double TokensPerSecond => TrainSeconds > 0 ? Tokens / TrainSeconds : 0;
}
