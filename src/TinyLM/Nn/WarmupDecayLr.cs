namespace TinyLM.Nn;

/// <summary>How <see cref="WarmupDecayLr"/> falls after the warmup.</summary>
public enum DecayShape
{
    /// <summary>Straight line from the peak to the minimum.</summary>
    Linear,
    /// <summary>Half cosine from the peak to the minimum (nanoGPT, llama).</summary>
    Cosine,
    /// <summary>Stay at the peak.</summary>
    None,
}

/// <summary>
/// Linear warmup then decay: for step &lt; warmup, lr = peak·(step + 1)/warmup (so the first update is not
/// wasted at 0 and step warmup−1 reaches the peak); then with progress q = (step − warmup)/(total − warmup)
/// clamped to [0, 1], lr = min + (peak − min)·(1 − q) (linear) or min + (peak − min)·(1 + cos πq)/2 (cosine);
/// after <see cref="TotalSteps"/> it stays at the minimum.
/// </summary>
public sealed class WarmupDecayLr : LrSchedule
{
    /// <summary>The rate at the end of the warmup.</summary>
    public float PeakRate { get; }

    /// <summary>The rate at the end of the decay.</summary>
    public float MinRate { get; }

    /// <summary>Warmup steps (0 = none).</summary>
    public long WarmupSteps { get; }

    /// <summary>Total steps: the decay reaches <see cref="MinRate"/> at this step.</summary>
    public long TotalSteps { get; }

    /// <summary>Decay shape.</summary>
    public DecayShape Shape { get; }

    /// <summary>A warmup + decay schedule.</summary>
    public WarmupDecayLr(float peakRate, long warmupSteps, long totalSteps, DecayShape shape = DecayShape.Cosine, float minRate = 0f)
    {
        if (!(peakRate >= 0f) || !float.IsFinite(peakRate)) throw new ArgumentOutOfRangeException(nameof(peakRate), $"WarmupDecayLr: peak rate {peakRate} must be finite and ≥ 0.");
        if (!(minRate >= 0f && minRate <= peakRate)) throw new ArgumentOutOfRangeException(nameof(minRate), $"WarmupDecayLr: min rate {minRate} not in [0, {peakRate}].");
        if (warmupSteps < 0 || totalSteps < warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), $"WarmupDecayLr: need 0 ≤ warmup ({warmupSteps}) ≤ total ({totalSteps}).");
        PeakRate = peakRate;
        MinRate = minRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Shape = shape;
    }

    /// <summary>Warmup then linear decay to <paramref name="minRate"/>.</summary>
    public static WarmupDecayLr Linear(float peakRate, long warmupSteps, long totalSteps, float minRate = 0f) =>
        new(peakRate, warmupSteps, totalSteps, DecayShape.Linear, minRate);

    /// <summary>Warmup then cosine decay to <paramref name="minRate"/>.</summary>
    public static WarmupDecayLr Cosine(float peakRate, long warmupSteps, long totalSteps, float minRate = 0f) =>
        new(peakRate, warmupSteps, totalSteps, DecayShape.Cosine, minRate);

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step, "WarmupDecayLr");
        if (step < WarmupSteps) return (float)((double)PeakRate * (step + 1) / WarmupSteps);
        if (Shape == DecayShape.None) return PeakRate;
        long span = TotalSteps - WarmupSteps;
        return AfterWarmup(span <= 0 ? 1.0 : (double)(step - WarmupSteps) / span);
    }

    /// <summary>The rate once the warmup is over, at decay progress <paramref name="progress"/> (clamped to [0, 1]).</summary>
    public float AfterWarmup(double progress)
    {
        if (Shape == DecayShape.None) return PeakRate;
        double q = Math.Clamp(progress, 0.0, 1.0);
        double f = Shape == DecayShape.Linear ? 1.0 - q : 0.5 * (1.0 + Math.Cos(Math.PI * q));
        return (float)(MinRate + (PeakRate - (double)MinRate) * f);
    }
}
