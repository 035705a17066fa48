using System.CommandLine;
using TinyLM.Cli.Classify;

namespace TinyLM.Cli.Train;

/// <summary><c>tinylm train TASK</c>: one subcommand per task.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Train a model: classify (text classification), lm (causal language model) or translate (sequence to sequence).");
        command.Subcommands.Add(TrainClassifyCommand.Create());
        command.Subcommands.Add(Generate.TrainCausalLMCommand.Create());
        command.Subcommands.Add(Translate.TrainTranslateCommand.Create());
        command.Subcommands.Add(TrainVectorsCommand.Create());
        command.Subcommands.Add(Image.TrainImageCommand.Create());
        return command;
    }
}
