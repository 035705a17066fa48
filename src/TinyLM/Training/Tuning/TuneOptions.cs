namespace TinyLM.Training.Tuning;

/// <summary>What the tuner maximises on the validation data.</summary>
public enum TuneMetric
{
    Accuracy,
    MacroF1,
}

/// <summary>Settings of a <see cref="ClassifierTuner"/> run.</summary>
public sealed record TuneOptions
{
    /// <summary>Wall-clock budget of the whole search; a trial still running at the deadline is cut (and not ranked).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Largest model file allowed, measured by saving each candidate (null = no limit).</summary>
    public long? MaxModelBytes { get; init; }
    /// <summary>Ranking metric on the validation data.</summary>
    public TuneMetric Metric { get; init; } = TuneMetric.Accuracy;
    /// <summary>
    /// Candidates trained in the first rung: the default recipes of the bag and CNN encoders, then seeded draws from the space,
    /// skipping those over <see cref="MaxModelBytes"/>.
    /// </summary>
    public int Candidates { get; init; } = 12;
    /// <summary>
    /// Brackets of successive halving run one after another, each on the next <see cref="Candidates"/> of the draw, while the
    /// budget lasts; 0 = until the budget or the space runs out.
    /// </summary>
    public int Brackets { get; init; }
    /// <summary>Each rung keeps the best 1/Eta of the last and trains them Eta times longer.</summary>
    public int Eta { get; init; } = 3;
    /// <summary>Seed of the draws, the weights and the batch order: same seed, data and finished trials → same leaderboard.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Checks every field and says which one is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException($"TuneOptions: {message}");
        }
        Require(Budget > TimeSpan.Zero, $"Budget must be positive, got {Budget.TotalMinutes} minutes.");
        Require(MaxModelBytes is null or > 0, $"MaxModelBytes must be positive, got {MaxModelBytes}.");
        Require(Candidates >= 1, $"Candidates must be ≥ 1, got {Candidates}.");
        Require(Brackets >= 0, $"Brackets must be ≥ 0, got {Brackets}.");
        Require(Eta >= 2, $"Eta must be ≥ 2, got {Eta}.");
    }
}
