using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Training.Tuning;

namespace TinyLM.Tests.Training.Tuning;

[Collection("Serial")]
public sealed class ClassifierTunerTests
{
    // The size of a model in the test: its float32 parameters (the CLI saves the model; the tuner only asks for a number).
    private static long Bytes(TextClassifier model) => model.ParameterCount() * 4L;

    private static long SizeOfCandidate(TuneCandidate c, IReadOnlyList<TinyLM.Text.TextExample> train) => Bytes(TextClassifier.Create(c.Model, train));

    [Fact]
    public void Halving_ranks_by_rung_then_score_and_never_trains_or_returns_a_model_over_the_size_budget()
    {
        var train = ToyTopics.Make(90, seed: 4);
        var valid = ToyTopics.Make(45, seed: 5);
        var candidates = TuneSpace.Draw(9, seed: 2);
        var sizes = candidates.Select(c => SizeOfCandidate(c, train.Examples)).Order().ToArray();
        long max = sizes[sizes.Length / 2]; // about half the candidates fit
        Assert.True(sizes[^1] > max, "the budget must leave some candidates out");
        var options = new TuneOptions { Budget = TimeSpan.FromMinutes(10), MaxModelBytes = max, Candidates = 9, Brackets = 1, Seed = 2 };

        var result = new ClassifierTuner(options, Bytes).Run(train, valid);

        Assert.Contains(result.Trials, t => t.Status == TrialStatus.OverSize);
        Assert.All(result.Trials.Where(t => t.Status == TrialStatus.OverSize), t => Assert.True(t.ModelBytes > max));
        Assert.All(result.Trials.Where(t => t.Status == TrialStatus.Done), t => Assert.True(t.ModelBytes <= max));
        Assert.True(Bytes(result.Best) <= max);
        Assert.False(result.BudgetExhausted);

        // Rung 0 trains the first 9 candidates of the draw that fit, measuring (not training) those before them that do not;
        // each later rung keeps the best third (rounded up) of the one before.
        var rung0 = result.Trials.Where(t => t.Rung == 0 && t.Status == TrialStatus.Done).ToList();
        Assert.Equal(9, rung0.Count);
        var order = TuneSpace.Draw(int.MaxValue, seed: 2).Select(c => c.Describe()).ToList();
        var tried = result.Trials.Where(t => t.Rung == 0).Select(t => t.Candidate.Describe()).ToList();
        Assert.Equal(order.Take(tried.Count), tried);
        Assert.Equal(TrialStatus.Done, result.Trials.Last(t => t.Rung == 0).Status);
        var rung1 = result.Trials.Where(t => t.Rung == 1).Select(t => t.Candidate.Index).ToHashSet();
        Assert.Equal(3, rung1.Count);
        var promoted = rung0.OrderByDescending(t => t.Score).ThenBy(t => t.ModelBytes).ThenBy(t => t.Candidate.Index).Take(rung1.Count);
        Assert.Equal(promoted.Select(t => t.Candidate.Index).ToHashSet(), rung1);
        Assert.True(result.Trials.Where(t => t.Rung == 1).All(t => t.Epochs >= rung0.First(r => r.Candidate.Index == t.Candidate.Index).Epochs));

        // The leaderboard: one row per candidate; ranked rows first, further rungs first, then by score.
        Assert.Equal(tried.Count, result.Leaderboard.Count);
        Assert.Equal(tried.Count, result.Leaderboard.Select(t => t.Candidate.Index).Distinct().Count());
        for (int i = 1; i < result.Leaderboard.Count; i++)
        {
            var (a, b) = (result.Leaderboard[i - 1], result.Leaderboard[i]);
            if (b.Status != TrialStatus.Done) continue;
            Assert.Equal(TrialStatus.Done, a.Status);
            Assert.True(a.Rung > b.Rung || (a.Rung == b.Rung && a.Score >= b.Score), $"row {i}: {a} before {b}");
        }
        Assert.Equal(result.Trials.Where(t => t.Status == TrialStatus.Done).Max(t => t.Score), result.BestTrial.Score);
        Assert.True(result.BestTrial.Score > 0.5, $"best validation score {result.BestTrial.Score}"); // chance is 1/3

        // A second bracket takes the next candidates of the draw: its rung 0 starts where the first one's stopped.
        var two = new ClassifierTuner(options with { Brackets = 2 }, Bytes).Run(train, valid);
        Assert.Equal(result.Trials.Select(t => (t.Candidate.Index, t.Rung, t.Status, t.Score)),
            two.Trials.Take(result.Trials.Count).Select(t => (t.Candidate.Index, t.Rung, t.Status, t.Score)));
        var second = two.Trials.Skip(result.Trials.Count).ToList();
        Assert.Equal(9, second.Count(t => t.Rung == 0 && t.Status == TrialStatus.Done));
        Assert.Equal(order.Skip(tried.Count).Take(second.Count(t => t.Rung == 0)), second.Where(t => t.Rung == 0).Select(t => t.Candidate.Describe()));
        Assert.True(two.BestTrial.Score >= result.BestTrial.Score);

        // Same seed, same data: the same trials and scores.
        var again = new ClassifierTuner(options, Bytes).Run(train, valid);
        Assert.Equal(result.Trials.Select(t => (t.Candidate.Index, t.Rung, t.Epochs, t.Status, t.Score)),
            again.Trials.Select(t => (t.Candidate.Index, t.Rung, t.Epochs, t.Status, t.Score)));
    }

    [Fact]
    public void An_impossible_size_or_time_budget_is_refused_clearly()
    {
        var train = ToyTopics.Make(60, seed: 4);
        var valid = ToyTopics.Make(30, seed: 5);
        var tiny = new TuneOptions { MaxModelBytes = 100, Candidates = 3 };
        var e = Assert.Throws<ArgumentException>(() => new ClassifierTuner(tiny, Bytes).Run(train, valid));
        Assert.Contains("no candidate fits in 100 bytes", e.Message);

        var instant = new TuneOptions { Budget = TimeSpan.FromTicks(1), Candidates = 3 };
        var t = Assert.Throws<ArgumentException>(() => new ClassifierTuner(instant, Bytes).Run(train, valid));
        Assert.Contains("time budget", t.Message);
    }

    [Theory]
    [InlineData(6, 0, 3, 3, 2)] // 6/9 rounds to 1, below the floor 6/3
    [InlineData(6, 1, 3, 3, 2)]
    [InlineData(6, 2, 3, 3, 6)] // the last rung trains the whole recipe
    [InlineData(10, 0, 3, 3, 4)]
    [InlineData(27, 0, 4, 3, 9)]
    [InlineData(27, 2, 4, 3, 9)]
    [InlineData(27, 3, 4, 3, 27)]
    [InlineData(1, 0, 3, 3, 1)]
    public void Rung_epochs_grow_by_eta_up_to_the_recipe_from_a_floor_of_a_third(int full, int rung, int rungs, int eta, int expected) =>
        Assert.Equal(expected, ClassifierTuner.RungEpochs(full, rung, rungs, eta));

    [Fact]
    public void Draws_are_distinct_start_with_the_recipes_and_depend_on_the_seed()
    {
        var a = TuneSpace.Draw(12, seed: 1);
        Assert.Equal(12, a.Select(c => (c.Model with { Seed = 0 }, c.Training with { Seed = 0 })).Distinct().Count());
        Assert.Equal(EncoderKind.Bag, a[0].Model.Encoder);
        Assert.Equal(EncoderKind.Cnn, a[1].Model.Encoder);
        Assert.Equal(a.Select(c => c.Describe()), TuneSpace.Draw(12, seed: 1).Select(c => c.Describe()));
        Assert.NotEqual(a.Select(c => c.Describe()), TuneSpace.Draw(12, seed: 7).Select(c => c.Describe()));
    }
}
