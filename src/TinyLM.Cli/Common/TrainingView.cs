using Spectre.Console;
using TinyLM.Training;

namespace TinyLM.Cli.Common;

/// <summary>
/// Shows a training run: a live progress bar (loss, accuracy, tokens/s, ETA) on an interactive
/// terminal, and one summary line per epoch on standard error everywhere, so logs stay readable and
/// standard output stays free for results.
/// </summary>
public static class TrainingView
{
    public static T Run<T>(string title, Func<IProgress<TrainProgress>, T> train)
    {
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!err.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            return train(new SynchronousProgress<TrainProgress>(p => { if (p.EpochEnd) Console.Error.WriteLine(EpochLine(p)); }));

        T result = default!;
        err.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title);
                result = train(new SynchronousProgress<TrainProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalSteps);
                    task.Value = p.Step;
                    task.Description = Markup.Escape(
                        $"{title} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:P1} {p.TokensPerSecond / 1000:F0}k tok/s");
                    if (p.EpochEnd) err.MarkupLine(Markup.Escape(EpochLine(p)));
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
}
