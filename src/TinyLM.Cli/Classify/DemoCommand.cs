using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Training;

namespace TinyLM.Cli.Classify;

/// <summary>
/// <c>tinylm demo</c>: the seed's worked example on Reuters R8 — word tokenizer (10,000) → pad to 100
/// → Embedding(64) → BiLSTM(64) → softmax, Adam 1e-3, 10 epochs, batch 32 — then the report.
/// </summary>
public static class DemoCommand
{
    private static readonly Option<int> EpochsOption = new("--epochs") { Description = "Passes over the training data", DefaultValueFactory = _ => 10 };
    private const string DefaultOut = "demo.tlm";

    private static readonly Option<string> OutOption = SharedOptions.Out(required: false);

    public static Command Create()
    {
        var command = new Command("demo", "Train the worked example (R8 news topics, Embedding(64) → BiLSTM(64) → softmax) and print its report.");
        command.AddOptions([EpochsOption, OutOption, SharedOptions.DataDir, SharedOptions.Threads]);
        command.SetRunner(parse =>
        {
            string? dataDir = parse.GetValue(SharedOptions.DataDir);
            var train = InputData.ReadLabelled("r8", "train.tsv", dataDir);
            var test = InputData.ReadLabelled("r8", "test.tsv", dataDir);
            // The model is kept (demo.tlm unless --out says where), so the next step has something to run on.
            string outPath = parse.GetValue(OutOption) ?? DefaultOut;
            OutputFile.Check(outPath, "--out", ("training data", train.Source), ("test data", test.Source));
            // The seed's architecture and hyper-parameters, with this project's training recipe (warm-started
            // embeddings, dropout, label smoothing: see ClassifierRecipes).
            var (config, options) = ClassifierRecipes.For(EncoderKind.BiLstm);
            options = options with { Epochs = parse.GetValue(EpochsOption) };

            var model = TextClassifier.Create(config, train.Examples);
            Console.Out.WriteLine($"R8: {train.Count} training and {test.Count} test articles, {model.Labels.Count} topics");
            Console.Out.WriteLine($"model: word tokenizer ({model.Tokenizer.VocabSize} ids) → pad to {config.MaxLength} → Embedding({config.EmbedDim}) " +
                                  $"→ BiLSTM({config.Hidden}, {config.Pooling.ToString().ToLowerInvariant()} over time) → Dense({model.Labels.Count}, softmax); {model.ParameterCount():N0} parameters");
            var result = TrainingView.Run("R8 BiLSTM", progress => new ClassifierTrainer(model, options) { Progress = progress }.Fit(train));
            var report = model.Evaluate(test);
            Console.Out.WriteLine();
            Console.Out.WriteLine($"test accuracy {report.Accuracy:P2}, macro F1 {report.MacroF1:F4} after {result.TrainSeconds:F0}s " +
                                  $"({result.TokensPerSecond / 1000:F0}k tokens/s on {Threading.MaxThreads} threads)");
            Console.Out.WriteLine();
            Console.Out.Write(report.ToText());
            model.Save(outPath);
            Console.Out.WriteLine();
            Console.Out.WriteLine($"wrote {outPath}; next, classify a text with it:");
            Console.Out.WriteLine($"  tinylm predict {outPath} \"grain exports rose as wheat prices fell\"");
            return ExitCodes.Ok;
        });
        return command;
    }
}
