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
    /// A run of any task: the bar shows the epoch (or, for a run counted in steps, the step), loss, accuracy where the
    /// task has one, and throughput; each milestone prints one line.
    /// </summary>
    public static T Run<T>(string title, Func<IProgress<TrainProgress>, T> train) =>
        Run(title, train, p => (p.Step, p.TotalSteps, StatusText(title, p)), p => p.Milestone ? MilestoneLine(p) : null);

    /// <summary>
    /// The shared core: <paramref name="status"/> gives the bar's position and text, <paramref name="milestone"/>
    /// a line to print (or null) for each report.
    /// </summary>
    public static T Run<TProgress, T>(string title, Func<IProgress<TProgress>, T> train,
        Func<TProgress, (int Step, int Total, string Text)> status, Func<TProgress, string?> milestone)
    {
        ArgumentNullException.ThrowIfNull(train);
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!err.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            return train(new SynchronousProgress<TProgress>(p => { if (milestone(p) is string line) Console.Error.WriteLine(line); }));

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

    private static string StatusText(string title, TrainProgress p)
    {
        string position = p.Epochs > 0 ? $"epoch {p.Epoch}/{p.Epochs}" : $"step {p.Step}/{p.TotalSteps}";
        string accuracy = p.Accuracy is double a ? $" acc {a:P1}" : "";
        return $"{title} {position} loss {p.Loss:F4}{accuracy} {p.TokensPerSecond / 1000:F1}k tok/s";
    }

    private static string MilestoneLine(TrainProgress p)
    {
        if (p.Epochs == 0)
            return $"step {p.Step}/{p.TotalSteps}  train_loss {p.TrainLoss:F4}  val_loss {p.ValidationLoss:F4}  lr {p.LearningRate:G3}  " +
                   $"{p.TokensPerSecond / 1000:F1}k tok/s  {p.Elapsed.TotalSeconds:F1}s";
        var line = $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}";
        if (p.Accuracy is double a) line += $"  acc {a:P2}";
        line += $"  {p.TokensPerSecond / 1000:F1}k tok/s  {p.Elapsed.TotalSeconds:F1}s";
        if (p.ValidationLoss is double vl) line += $"  val_loss {vl:F4}";
        if (p.ValidationAccuracy is double va) line += $"  val_acc {va:P2}";
        return line;
    }
}
