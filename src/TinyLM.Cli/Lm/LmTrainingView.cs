using Spectre.Console;
using TinyLM.Cli.Common;
using TinyLM.Training;

namespace TinyLM.Cli.Lm;

/// <summary>
/// Shows a language-model training run like <see cref="TrainingView"/>: a live bar (step, loss, tokens/s, ETA) on an
/// interactive terminal, and one line per evaluation on standard error everywhere.
/// </summary>
public static class LmTrainingView
{
    public static T Run<T>(string title, Func<IProgress<LmTrainProgress>, T> train)
    {
        var err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!err.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            return train(new SynchronousProgress<LmTrainProgress>(p => { if (p.ValidationLoss is not null) Console.Error.WriteLine(EvalLine(p)); }));

        T result = default!;
        err.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title);
                result = train(new SynchronousProgress<LmTrainProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalSteps);
                    task.Value = p.Step;
                    task.Description = Markup.Escape($"{title} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} {p.TokensPerSecond / 1000:F1}k tok/s");
                    if (p.ValidationLoss is not null) err.MarkupLine(Markup.Escape(EvalLine(p)));
                }));
            });
        return result;
    }

    private static string EvalLine(LmTrainProgress p) =>
        $"step {p.Step}/{p.TotalSteps}  train_loss {p.TrainLoss:F4}  val_loss {p.ValidationLoss:F4}  lr {p.LearningRate:G3}  " +
        $"{p.TokensPerSecond / 1000:F1}k tok/s  {p.Elapsed.TotalSeconds:F1}s";
}
