using TinyLM.Cli.Common;
using TinyLM.Training;

namespace TinyLM.Tests.Cli;

/// <summary>Issue 21: progress with the time left inside epochs, and a run bounded by time shows time, not "epoch 1/1000".</summary>
public sealed class TrainingViewTests
{
    private static TrainProgress InEpoch(int step, double elapsed, double remaining, double budget = 0, int epochs = 20) => new()
    {
        Epoch = 2, Epochs = epochs, Step = step, TotalSteps = 200 * epochs, StepsPerEpoch = 200, Loss = 4.25, Accuracy = 0.125,
        TokensPerSecond = 2100, Elapsed = TimeSpan.FromSeconds(elapsed), Remaining = TimeSpan.FromSeconds(remaining), BudgetSeconds = budget,
    };

    [Fact]
    public void A_progress_line_inside_an_epoch_says_where_the_epoch_is_and_the_time_left_of_the_epoch_and_the_run()
    {
        // Step 250 of 4000 = step 50 of epoch 2's 200; 3750 steps left take 3750 s at this pace, 150 of them in this epoch.
        string line = TrainingView.ProgressLine(InEpoch(250, 250, 3750));
        Assert.Equal("  epoch 2/20 step 50/200 (25 %)  loss 4.2500  train_acc 12.50 %  2.1k tok/s  elapsed 4:10  epoch left 2:30, run left 1:02:30", line);
    }

    [Fact]
    public void An_image_task_counts_images_per_second_not_tokens()
    {
        string line = TrainingView.ProgressLine(InEpoch(250, 250, 3750) with { ThroughputUnit = "img" });
        Assert.Contains("  2.1k img/s  ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("tok/s", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_bounded_by_time_counts_time_and_never_shows_the_epoch_bound()
    {
        string line = TrainingView.ProgressLine(InEpoch(250, 15, 45, budget: 60, epochs: 1000));
        Assert.Equal("  epoch 2 step 50/200 (25 %)  loss 4.2500  train_acc 12.50 %  2.1k tok/s  time 0:15 of 1:00 (25 %)  left 0:45", line);
        Assert.DoesNotContain("1000", line, StringComparison.Ordinal);
    }

    [Fact]
    public void The_heartbeat_prints_once_per_interval_and_an_epoch_end_restarts_it()
    {
        var heartbeat = new TrainingView.Heartbeat(10);
        Assert.Null(heartbeat.Line(InEpoch(210, 4, 100)));
        Assert.NotNull(heartbeat.Line(InEpoch(220, 10.5, 100)));
        Assert.Null(heartbeat.Line(InEpoch(230, 15, 100)));
        Assert.NotNull(heartbeat.Line(InEpoch(240, 21, 100)));
        Assert.Null(heartbeat.Line(InEpoch(400, 25, 100) with { Milestone = true }));
        Assert.Null(heartbeat.Line(InEpoch(410, 30, 100)));
        Assert.NotNull(heartbeat.Line(InEpoch(420, 35.5, 100)));
    }

    [Theory]
    [InlineData(0, "0:00")]
    [InlineData(59.4, "0:59")]
    [InlineData(3599, "59:59")]
    [InlineData(3600 * 3 + 61, "3:01:01")]
    public void Clock_is_minutes_and_seconds_then_hours(double seconds, string expected) =>
        Assert.Equal(expected, TrainingView.Clock(TimeSpan.FromSeconds(seconds)));
}
