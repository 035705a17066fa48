namespace TinyLM.Nn;

/// <summary>
/// A learning-rate schedule: the rate for optimizer step <c>step</c> (0-based: the first update is step 0).
/// Set <c>optimizer.LearningRate = schedule.LearningRate(step)</c> before each <see cref="Optimizer.Step"/>.
/// </summary>
public abstract class LrSchedule
{
    /// <summary>The learning rate for 0-based step <paramref name="step"/>.</summary>
    public abstract float LearningRate(long step);

    /// <summary>Throws for a negative step.</summary>
    protected static void CheckStep(long step, string schedule)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"{schedule}: step {step} is negative.");
    }
}

/// <summary>The same rate at every step.</summary>
public sealed class ConstantLr : LrSchedule
{
    /// <summary>The rate.</summary>
    public float Rate { get; }

    /// <summary>A constant schedule.</summary>
    public ConstantLr(float rate)
    {
        if (!(rate >= 0f) || !float.IsFinite(rate)) throw new ArgumentOutOfRangeException(nameof(rate), $"ConstantLr: rate {rate} must be finite and ≥ 0.");
        Rate = rate;
    }

    /// <inheritdoc/>
    public override float LearningRate(long step)
    {
        CheckStep(step, "ConstantLr");
        return Rate;
    }
}
