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
    /// <summary>A classifier or translation run: one summary line per epoch.</summary>
    public static T Run<T>(string title, Func<IProgress<TrainProgress>, T> train) =>
        Run(title, train,
            p => (p.Step, p.TotalSteps, $"{title} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:P1} {p.TokensPerSecond / 1000:F0}k tok/s"),
            p => p.EpochEnd ? EpochLine(p) : null);

    /// <summary>A language-model run: one line per train/validation loss estimate.</summary>
    public static T Run<T>(string title, Func<IProgress<CausalLMTrainProgress>, T> train) =>
        Run(title, train,
            p => (p.Step, p.TotalSteps, $"{title} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} {p.TokensPerSecond / 1000:F1}k tok/s"),
            p => p.ValidationLoss is null ? null : EvalLine(p));

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

    private static string EpochLine(TrainProgress p)
    {
        var line = $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  acc {p.Accuracy:P2}  {p.TokensPerSecond / 1000:F1}k tok/s  {p.Elapsed.TotalSeconds:F1}s";
        if (p.ValidationAccuracy is double va) line += $"  val_loss {p.ValidationLoss:F4}  val_acc {va:P2}";
        return line;
    }

    private static string EvalLine(CausalLMTrainProgress p) =>
        $"step {p.Step}/{p.TotalSteps}  train_loss {p.TrainLoss:F4}  val_loss {p.ValidationLoss:F4}  lr {p.LearningRate:G3}  " +
        $"{p.TokensPerSecond / 1000:F1}k tok/s  {p.Elapsed.TotalSeconds:F1}s";
}
