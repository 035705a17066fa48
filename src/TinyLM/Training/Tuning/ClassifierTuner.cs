using System.Diagnostics;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Training.Tuning;

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>Trained and scored on the validation data.</summary>
    Done,
    /// <summary>Its model file is over the size budget: not trained, not ranked.</summary>
    OverSize,
    /// <summary>The time budget ran out while it trained: not ranked.</summary>
    Cut,
}

/// <summary>One candidate trained for one rung's epochs.</summary>
public sealed record TuneTrial(TuneCandidate Candidate, int Rung, int Epochs, TrialStatus Status, double Score, double Accuracy, double MacroF1,
    long ModelBytes, double Seconds);

/// <summary>What a search found: every trial, the leaderboard and the best model.</summary>
public sealed record TuneResult(IReadOnlyList<TuneTrial> Trials, IReadOnlyList<TuneTrial> Leaderboard, TextClassifier Best, TuneTrial BestTrial,
    double Seconds, bool BudgetExhausted);

/// <summary>
/// Successive halving over <see cref="TuneSpace"/>: rung 0 trains <see cref="TuneOptions.Candidates"/> candidates (the first of the
/// seeded draw order that fit the size budget) for a short run
/// (1/Eta^(rungs−1) of its recipe's epochs, at least 1/Eta: <see cref="RungEpochs"/>), scores it on validation data, and the best 1/Eta go on to the next rung with
/// Eta times the epochs, until one candidate is trained for the full recipe. Every trial is a fresh training run on the one
/// <see cref="ClassifierTrainer"/> loop. A candidate's size is measured by saving it (the caller's <c>measureBytes</c>,
/// since files are the IO layer's): before it trains, where one over <see cref="TuneOptions.MaxModelBytes"/> is not trained
/// (training adds to a file, never removes: the naive Bayes counts), and again trained, where one over is not ranked.
/// While budget and space remain, another bracket (rung 0 on the next candidates of the draw, then its halvings) follows,
/// up to <see cref="TuneOptions.Brackets"/>. The time budget stops the search: a trial still running at the deadline is cut
/// and not ranked.
/// </summary>
public sealed class ClassifierTuner(TuneOptions options, Func<TextClassifier, long> measureBytes)
{
    /// <summary>Called after every trial.</summary>
    public Action<TuneTrial>? TrialDone { get; init; }

    /// <summary>
    /// Searches on <paramref name="train"/>, scoring on <paramref name="validation"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No candidate fits the size budget, or the time budget ended before any trial finished.</exception>
    public TuneResult Run(TextDataset train, TextDataset validation)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(measureBytes);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException($"{train.Source}: no training examples.");
        if (validation.Count == 0) throw new ArgumentException($"{validation.Source}: no validation examples.");

        var clock = Stopwatch.StartNew();
        // The whole space in draw order: rung 0 takes candidates from it until Candidates of them fit the size budget.
        var candidates = TuneSpace.Draw(int.MaxValue, options.Seed);
        int rungs = 1;
        for (int n = Math.Min(options.Candidates, candidates.Count); n > 1; n = (n + options.Eta - 1) / options.Eta) rungs++;

        var trials = new List<TuneTrial>();
        TextClassifier? best = null;
        TuneTrial? bestTrial = null;
        long smallest = long.MaxValue;
        bool exhausted = false;
        int next = 0; // the next candidate of the draw order a bracket's rung 0 takes
        for (int bracket = 0; (options.Brackets == 0 || bracket < options.Brackets) && next < candidates.Count && !exhausted; bracket++)
        {
            IReadOnlyList<TuneCandidate> alive = candidates;
            for (int rung = 0; rung < rungs && alive.Count > 0 && !exhausted; rung++)
            {
                var scored = new List<TuneTrial>();
                int admitted = 0;
                for (int i = rung == 0 ? next : 0; i < alive.Count; i++)
                {
                    if (rung == 0 && admitted == options.Candidates) break;
                    var candidate = alive[i];
                    var remaining = options.Budget - clock.Elapsed;
                    if (remaining <= TimeSpan.Zero)
                    {
                        exhausted = true;
                        break;
                    }
                    if (rung == 0) next = i + 1;
                    int epochs = RungEpochs(candidate.Training.Epochs, rung, rungs, options.Eta);
                    var (trial, model) = RunTrial(candidate, rung, epochs, train, validation, remaining);
                    trials.Add(trial);
                    TrialDone?.Invoke(trial);
                    smallest = Math.Min(smallest, trial.ModelBytes);
                    if (trial.Status == TrialStatus.Cut)
                    {
                        exhausted = true;
                        break;
                    }
                    if (trial.Status != TrialStatus.Done) continue;
                    admitted++;
                    scored.Add(trial);
                    if (bestTrial is null || Better(trial, bestTrial))
                    {
                        best = model;
                        bestTrial = trial;
                    }
                }
                scored.Sort(Compare);
                int keep = rung + 1 < rungs ? (scored.Count + options.Eta - 1) / options.Eta : 0; // of those that fit and finished
                alive = scored.Take(keep).Select(t => t.Candidate).ToList();
            }
        }

        if (bestTrial is null || best is null)
        {
            if (options.MaxModelBytes is long max && trials.Count > 0 && trials.All(t => t.Status == TrialStatus.OverSize))
                throw new ArgumentException($"no candidate fits in {max:N0} bytes: the smallest model of the search saves to {smallest:N0} bytes.");
            throw new ArgumentException($"the time budget ({options.Budget.TotalMinutes:0.##} minutes) ended before any trial finished; give a larger budget.");
        }
        return new TuneResult(trials, Leaderboard(trials), best, bestTrial, clock.Elapsed.TotalSeconds, exhausted);
    }

    /// <summary>
    /// Epochs of a rung: the recipe's <paramref name="full"/> epochs divided by Eta once per rung still to come, but never below
    /// full/Eta (rounded up): a bag trained for one epoch with a decaying rate is too poor a guess of the same bag trained for six,
    /// and ranks its naive Bayes and SVM mixtures (fitted whole at any length) above it.
    /// </summary>
    public static int RungEpochs(int full, int rung, int rungs, int eta)
    {
        int floor = (full + eta - 1) / eta;
        return Math.Max(floor, (int)Math.Round(full / Math.Pow(eta, rungs - 1 - rung)));
    }

    /// <summary>Each candidate's trial from the furthest rung it reached, best first; unranked trials (over size, cut) last.</summary>
    public static List<TuneTrial> Leaderboard(IEnumerable<TuneTrial> trials)
    {
        var board = trials.GroupBy(t => t.Candidate.Index)
            .Select(g => g.Where(t => t.Status == TrialStatus.Done).MaxBy(t => t.Rung) ?? g.Last())
            .ToList();
        board.Sort(Compare);
        return board;
    }

    // Ranked trials first; then the further rung, the higher score, the smaller file, the earlier candidate.
    private static int Compare(TuneTrial a, TuneTrial b)
    {
        int c = (b.Status == TrialStatus.Done).CompareTo(a.Status == TrialStatus.Done);
        if (c == 0) c = b.Rung.CompareTo(a.Rung);
        if (c == 0) c = b.Score.CompareTo(a.Score);
        if (c == 0) c = a.ModelBytes.CompareTo(b.ModelBytes);
        return c != 0 ? c : a.Candidate.Index.CompareTo(b.Candidate.Index);
    }

    // The model returned is the best scored one of any rung (a short run may beat a long one); ties go to the longer
    // training, then to the smaller file.
    private static bool Better(TuneTrial a, TuneTrial b) =>
        a.Score > b.Score || (a.Score == b.Score && (a.Rung > b.Rung || (a.Rung == b.Rung && a.ModelBytes < b.ModelBytes)));

    private (TuneTrial Trial, TextClassifier Model) RunTrial(TuneCandidate candidate, int rung, int epochs, TextDataset train,
        TextDataset validation, TimeSpan remaining)
    {
        var clock = Stopwatch.StartNew();
        var model = TextClassifier.Create(candidate.Model, train.Examples);
        long bytes = measureBytes(model);
        if (options.MaxModelBytes is long max && bytes > max)
            return (new TuneTrial(candidate, rung, epochs, TrialStatus.OverSize, double.NaN, double.NaN, double.NaN, bytes, clock.Elapsed.TotalSeconds), model);

        using var deadline = new CancellationTokenSource(remaining);
        try
        {
            // Validation drives best-epoch restore within a trial as in `train classify --valid`.
            new ClassifierTrainer(model, candidate.Training with { Epochs = epochs }).Fit(train, validation, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return (new TuneTrial(candidate, rung, epochs, TrialStatus.Cut, double.NaN, double.NaN, double.NaN, bytes, clock.Elapsed.TotalSeconds), model);
        }
        // Training can add to the file (the naive Bayes counts): the trained model is measured again.
        bytes = measureBytes(model);
        if (options.MaxModelBytes is long limit && bytes > limit)
            return (new TuneTrial(candidate, rung, epochs, TrialStatus.OverSize, double.NaN, double.NaN, double.NaN, bytes, clock.Elapsed.TotalSeconds), model);
        var report = model.Evaluate(validation);
        double score = options.Metric == TuneMetric.MacroF1 ? report.MacroF1 : report.Accuracy;
        return (new TuneTrial(candidate, rung, epochs, TrialStatus.Done, score, report.Accuracy, report.MacroF1, bytes, clock.Elapsed.TotalSeconds), model);
    }
}
