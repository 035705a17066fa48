using System.CommandLine;
using System.Diagnostics;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Cli.Translate;

/// <summary><c>tinylm translate MODEL [TEXT…]</c>: one translation per input line, in order.</summary>
public static class TranslateCommand
{
    private static readonly Argument<string> ModelArgument = new("model") { Description = "A translation model (.tlm) from `tinylm train translate`" };
    private static readonly Argument<string[]> TextArgument = new("text") { Description = "Sentences to translate (else --file, else standard input)", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<string?> FileOption = new("--file") { Description = "Translate every line of this file" };
    private static readonly Option<int> BeamOption = new("--beam") { Description = "Beam width (1 = greedy)", DefaultValueFactory = _ => 5 };
    private static readonly Option<float> LengthPenaltyOption = new("--length-penalty") { Description = "GNMT length penalty α", DefaultValueFactory = _ => 0.6f };
    private static readonly Option<int> BatchOption = new("--batch") { Description = "Sentences decoded side by side", DefaultValueFactory = _ => 64 };

    public static Command Create()
    {
        var command = new Command("translate", "Translate sentences with a trained model.");
        command.Arguments.Add(ModelArgument);
        command.Arguments.Add(TextArgument);
        command.AddOptions([FileOption, BeamOption, LengthPenaltyOption, BatchOption, SharedOptions.Threads, SharedOptions.Json]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        var options = new SearchOptions
        {
            Beam = parse.GetValue(BeamOption), LengthPenalty = parse.GetValue(LengthPenaltyOption), BatchSize = parse.GetValue(BatchOption),
        };
        CliError.Check(options.Validate);

        var model = Seq2SeqFile.Load(parse.GetValue(ModelArgument)!);
        string[] texts = parse.GetValue(TextArgument) ?? [];
        string origin = "argument";
        if (parse.GetValue(FileOption) is string file)
        {
            if (texts.Length > 0) throw new CliError("give sentences either as arguments or with --file, not both.", ExitCodes.Usage);
            texts = [.. TextFile.ReadLines(file)];
            origin = file;
        }
        else if (texts.Length == 0)
        {
            var lines = new List<string>();
            while (Console.In.ReadLine() is { } line) lines.Add(line);
            texts = [.. lines];
            origin = "<stdin>";
        }
        var sources = new int[texts.Length][];
        for (int i = 0; i < texts.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(texts[i]))
                throw new DataFormatException(origin, i + 1, "empty line; every line must hold a sentence to translate.");
            sources[i] = model.EncodeSource(texts[i]);
            if (sources[i].Length > model.Config.MaxSourceLength)
                throw new DataFormatException(origin, i + 1, $"sentence of {sources[i].Length} tokens is longer than the model's limit of {model.Config.MaxSourceLength}.");
        }
        // CPU time next to wall time: on a shared machine the wall clock says more about the neighbours than the decoder.
        var process = Process.GetCurrentProcess();
        var cpuStart = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var ids = Seq2SeqSearch.Decode(model, sources, options);
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpuStart).TotalSeconds;
        bool json = parse.GetValue(SharedOptions.Json);
        var output = new System.Text.StringBuilder();
        for (int i = 0; i < ids.Length; i++)
        {
            string translation = model.DecodeTarget(ids[i]);
            output.AppendLine(json ? JsonLine.Render(new TranslationOutput(texts[i], translation), CliJson.Default.TranslationOutput) : translation);
        }
        Console.Out.Write(output.ToString());
        if (json)
            JsonLine.Print(new TranslateSummaryOutput(texts.Length, Math.Round(seconds, 3), seconds > 0 ? Math.Round(texts.Length / seconds, 2) : 0,
                Math.Round(cpuSeconds, 3), options.Beam, options.BatchSize), CliJson.Default.TranslateSummaryOutput);
        else
            Console.Error.WriteLine($"{texts.Length} sentences in {seconds:F2}s ({(seconds > 0 ? texts.Length / seconds : 0):F1} sentences/s, beam {options.Beam}, batch {options.BatchSize})");
        return ExitCodes.Ok;
    }
}
