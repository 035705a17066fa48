using Spectre.Console;
using TinyLM.Training;

namespace TinyLM.Cli.Common;

/// <summary>
/// Shows a training run: a live progress bar (step, loss, tokens/s, ETA) on an interactive terminal, and
/// one line per milestone (epoch end, evaluation) on standard error everywhere, so logs stay readable and
/// standard output stays free for results.
/// </summary>
public static class TrainingView
{
    /// <summary>
    /// Seconds between the progress lines printed inside an epoch (or between evaluations) where there is no live bar:
    /// 10, or <c>$TINYLM_PROGRESS_SECONDS</c>.
    /// </summary>
    internal static double HeartbeatSeconds =>
        double.TryParse(Environment.GetEnvironmentVariable("TINYLM_PROGRESS_SECONDS"), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 10;

    /// <summary>
    /// A run of any task: the bar shows the epoch (or, for a run counted in steps, the step; for a run bounded by time,
    /// the time), loss, accuracy where the task has one, and throughput; each milestone prints one line, and without a
    /// live bar a progress line with the time left is printed every <see cref="HeartbeatSeconds"/> in between.
    /// </summary>
    public static T Run<T>(string title, Func<IProgress<TrainProgress>, T> train)
    {
        var heartbeat = new Heartbeat(HeartbeatSeconds);
        return Run(title, train, p => Position(title, p), p => p.Milestone ? MilestoneLine(p) : null, heartbeat.Line);
    }

    /// <summary>
    /// The shared core: <paramref name="status"/> gives the bar's position and text, <paramref name="milestone"/>
    /// a line to print (or null) for each report; <paramref name="heartbeat"/>, where given, a line to print (or null)
    /// for each report when there is no live bar.
    /// </summary>
    public static T Run<TProgress, T>(string title, Func<IProgress<TProgress>, T> train,
        Func<TProgress, (int Step, int Total, string Text)> status, Func<TProgress, string?> milestone, Func<TProgress, string?>? heartbeat = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!err.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            return train(new SynchronousProgress<TProgress>(p =>
            {
                if ((milestone(p) ?? heartbeat?.Invoke(p)) is string line) Console.Error.WriteLine(line);
            }));

        T result = default!;
        err.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title);
                result = train(new SynchronousProgress<TProgress>(p =>
                {
                    var (step, total, text) = status(p);
                    task.MaxValue = Math.Max(1, total);
                    task.Value = step;
                    task.Description = Markup.Escape(text);
                    if (milestone(p) is string line) err.MarkupLine(Markup.Escape(line));
                }));
            });
        return result;
    }

    /// <summary>Prints a progress line at most once per interval of training time (milestones print their own).</summary>
    internal sealed class Heartbeat(double seconds)
    {
        private double _last;

        public string? Line(TrainProgress p)
        {
            if (p.Milestone)
            {
                _last = p.Elapsed.TotalSeconds;
                return null;
            }
            if (p.Elapsed.TotalSeconds - _last < seconds) return null;
            _last = p.Elapsed.TotalSeconds;
            return ProgressLine(p);
        }
    }

    // The bar: by time when the run is bounded by time (in tenths of a second), else by step.
    private static (int, int, string) Position(string title, TrainProgress p) =>
        p.BudgetSeconds > 0
            ? ((int)Math.Min(p.Elapsed.TotalSeconds * 10, p.BudgetSeconds * 10), (int)(p.BudgetSeconds * 10), StatusText(title, p))
            : (p.Step, p.TotalSteps, StatusText(title, p));

    private static string StatusText(string title, TrainProgress p)
    {
        string position = p.Epochs == 0 ? $"step {p.Step}/{p.TotalSteps}" : p.BudgetSeconds > 0 ? $"epoch {p.Epoch}" : $"epoch {p.Epoch}/{p.Epochs}";
        string accuracy = p.Accuracy is double a ? $" acc {a:P1}" : "";
        return $"{title} {position} loss {p.Loss:F4}{accuracy} {p.TokensPerSecond / 1000:F1}k {p.ThroughputUnit}/s";
    }

    /// <summary>
    /// One line of progress between milestones: where the run is inside its epoch, loss, throughput and the time left
    /// (of the epoch and of the run; of the budget when the run is bounded by time, where the epoch count means nothing).
    /// </summary>
    internal static string ProgressLine(TrainProgress p)
    {
        string accuracy = p.Accuracy is double a ? $"  train_acc {a:P2}" : "";
        string rate = $"{p.TokensPerSecond / 1000:F1}k {p.ThroughputUnit}/s";
        if (p.Epochs == 0)
            return $"  step {p.Step}/{p.TotalSteps} ({Percent(p.Step, p.TotalSteps)})  loss {p.Loss:F4}{accuracy}  {rate}  " +
                   $"elapsed {Clock(p.Elapsed)}  left {Clock(p.Remaining)}";
        string inEpoch = "";
        if (p.StepsPerEpoch > 0)
        {
            int epochStep = Math.Clamp(p.Step - (p.Epoch - 1) * p.StepsPerEpoch, 0, p.StepsPerEpoch);
            inEpoch = $" step {epochStep}/{p.StepsPerEpoch} ({Percent(epochStep, p.StepsPerEpoch)})";
        }
        if (p.BudgetSeconds > 0)
        {
            var budget = TimeSpan.FromSeconds(p.BudgetSeconds);
            return $"  epoch {p.Epoch}{inEpoch}  loss {p.Loss:F4}{accuracy}  {rate}  " +
                   $"time {Clock(p.Elapsed)} of {Clock(budget)} ({Percent(p.Elapsed.TotalSeconds, p.BudgetSeconds)})  left {Clock(p.Remaining)}";
        }
        string epochLeft = "";
        if (p.StepsPerEpoch > 0 && p.TotalSteps > p.Step)
        {
            int epochStep = Math.Clamp(p.Step - (p.Epoch - 1) * p.StepsPerEpoch, 0, p.StepsPerEpoch);
            epochLeft = $"epoch left {Clock(p.Remaining * ((double)(p.StepsPerEpoch - epochStep) / (p.TotalSteps - p.Step)))}, ";
        }
        return $"  epoch {p.Epoch}/{p.Epochs}{inEpoch}  loss {p.Loss:F4}{accuracy}  {rate}  elapsed {Clock(p.Elapsed)}  {epochLeft}run left {Clock(p.Remaining)}";
    }

    private static string MilestoneLine(TrainProgress p)
    {
        if (p.Epochs == 0)
            return $"step {p.Step}/{p.TotalSteps}  train_loss {p.TrainLoss:F4}  val_loss {p.ValidationLoss:F4}  lr {p.LearningRate:G3}  " +
                   $"{p.TokensPerSecond / 1000:F1}k {p.ThroughputUnit}/s  {p.Elapsed.TotalSeconds:F1}s";
        // Bounded by time, the epoch count is only an upper bound: the line counts time instead.
        var line = p.BudgetSeconds > 0 ? $"epoch {p.Epoch}  loss {p.Loss:F4}" : $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}";
        if (p.Accuracy is double a) line += $"  train_acc {a:P2}";
        line += $"  {p.TokensPerSecond / 1000:F1}k {p.ThroughputUnit}/s  {p.Elapsed.TotalSeconds:F1}s";
        if (p.BudgetSeconds > 0) line += $" (budget {p.BudgetSeconds:0.#}s)";
        else if (p.Epoch < p.Epochs && p.Remaining > TimeSpan.Zero) line += $"  left {Clock(p.Remaining)}";
        if (p.ValidationLoss is double vl) line += $"  val_loss {vl:F4}";
        if (p.ValidationAccuracy is double va) line += $"  val_acc {va:P2}";
        if (p.ModelTrainAccuracy is double ma) line += $"  model_train_acc {ma:P2}";
        return line;
    }

    private static string Percent(double done, double total) =>
        total > 0 ? $"{Math.Clamp(done / total, 0, 1) * 100:F0} %" : "0 %";

    /// <summary>m:ss, or h:mm:ss from an hour.</summary>
    internal static string Clock(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";
    }
}
