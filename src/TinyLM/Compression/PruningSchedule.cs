namespace TinyLM.Compression;

/// <summary>
/// Zhu &amp; Gupta's gradual pruning schedule ("To prune, or not to prune", 2017): the sparsity rises from
/// <see cref="Initial"/> to <see cref="Final"/> over <c>n</c> pruning events spaced <see cref="Frequency"/> steps apart
/// from <see cref="Start"/>, as s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³: fast at first, while the network
/// still has redundant weights, then slower so the last pruned weights can be compensated by training.
/// Between events the sparsity holds; after <see cref="End"/> it stays at <see cref="Final"/>.
/// </summary>
public sealed record PruningSchedule
{
    public PruningSchedule(double final, int start, int end, int frequency, double initial = 0)
    {
        if (!(final > 0 && final < 1)) throw new ArgumentOutOfRangeException(nameof(final), final, "PruningSchedule: final sparsity must be in (0, 1).");
        if (!(initial >= 0 && initial <= final)) throw new ArgumentOutOfRangeException(nameof(initial), initial, $"PruningSchedule: initial sparsity must be in [0, {final}].");
        if (start < 0 || end < start) throw new ArgumentException($"PruningSchedule: need 0 ≤ start ≤ end, got start {start}, end {end}.");
        if (frequency < 1) throw new ArgumentOutOfRangeException(nameof(frequency), frequency, "PruningSchedule: frequency must be ≥ 1 step.");
        Final = final;
        Initial = initial;
        Start = start;
        End = end;
        Frequency = frequency;
    }

    /// <summary>s_f, the sparsity reached at <see cref="End"/>.</summary>
    public double Final { get; }
    /// <summary>s_i, the sparsity of the first pruning event.</summary>
    public double Initial { get; }
    /// <summary>t0, the step of the first pruning event.</summary>
    public int Start { get; }
    /// <summary>t0 + nΔt, the step from which the sparsity is final.</summary>
    public int End { get; }
    /// <summary>Δt, steps between pruning events.</summary>
    public int Frequency { get; }

    /// <summary>
    /// The schedule for a fine-tuning run of <paramref name="totalSteps"/> steps: prune from step 0 to two thirds of
    /// the run in about 16 events, then train the last third with the final masks fixed.
    /// </summary>
    public static PruningSchedule ForRun(double final, int totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        int end = 2 * totalSteps / 3;
        int frequency = Math.Max(1, end / 16);
        return new PruningSchedule(final, 0, end - end % frequency, frequency);
    }

    /// <summary>The sparsity in force at <paramref name="step"/> (that of the last pruning event at or before it; 0 before the first).</summary>
    public double SparsityAt(int step)
    {
        if (step < Start) return 0;
        if (step >= End) return Final;
        int events = (End - Start) / Frequency;
        if (events == 0) return Final;
        int k = (step - Start) / Frequency; // the last event at or before the step
        double progress = Math.Min(1.0, (double)k / events);
        double remaining = 1 - progress;
        return Final + (Initial - Final) * remaining * remaining * remaining;
    }

    /// <summary>Whether a pruning event (a mask update) falls on <paramref name="step"/>.</summary>
    public bool IsPruningStep(int step) => step >= Start && step <= End && (step - Start) % Frequency == 0;
}
