using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models.Generation;

namespace TinyLM.Cli.Generate;

/// <summary>
/// <c>tinylm generate MODEL</c>: stream a continuation of a prompt to standard output. The model file is opened by
/// <see cref="CausalLMLoader"/>, which picks the reader by file type (a .tlm today; llama2.c .bin with --tokenizer
/// when its reader is registered there).
/// </summary>
public static class GenerateCommand
{
    private static readonly Argument<string> ModelArgument = new("MODEL") { Description = "A language model (.tlm)" };
    private static readonly Option<string?> TokenizerOption = new("--tokenizer") { Description = "Tokenizer file, for model formats that do not carry one" };
    private static readonly Option<string> PromptOption = new("--prompt") { Description = "Text to continue", DefaultValueFactory = _ => "" };
    private static readonly Option<int> MaxTokensOption = new("--max-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 256 };
    private static readonly Option<float> TemperatureOption = new("--temperature") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0.8f };
    private static readonly Option<int> TopKOption = new("--top-k") { Description = "Keep the K most probable tokens (0 = all)", DefaultValueFactory = _ => 0 };
    private static readonly Option<float> TopPOption = new("--top-p") { Description = "Nucleus: keep the most probable tokens up to this mass", DefaultValueFactory = _ => 1f };
    private static readonly Option<float> MinPOption = new("--min-p") { Description = "Drop tokens below this fraction of the best one's probability", DefaultValueFactory = _ => 0f };
    private static readonly Option<float> RepetitionOption = new("--repetition-penalty") { Description = "Penalty on tokens already present (1 = none)", DefaultValueFactory = _ => 1f };
    private static readonly Option<string[]> StopOption = new("--stop") { Description = "Stop before this string (repeatable)", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<ulong> SeedOption = SharedOptions.Seed(1);

    public static Command Create()
    {
        var command = new Command("generate", "Generate text with a language model, streaming to standard output.");
        command.Arguments.Add(ModelArgument);
        command.AddOptions([
            TokenizerOption, PromptOption, MaxTokensOption, TemperatureOption, TopKOption, TopPOption, MinPOption, RepetitionOption,
            StopOption, SeedOption, SharedOptions.Threads, SharedOptions.Json,
        ]);
        command.SetRunner(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        var options = new SamplingOptions
        {
            Temperature = parse.GetValue(TemperatureOption), TopK = parse.GetValue(TopKOption), TopP = parse.GetValue(TopPOption),
            MinP = parse.GetValue(MinPOption), RepetitionPenalty = parse.GetValue(RepetitionOption), MaxTokens = parse.GetValue(MaxTokensOption),
            Stop = parse.GetValue(StopOption) ?? [], Seed = parse.GetValue(SeedOption),
        };
        CliError.Check(options.Validate);
        var lm = CausalLMLoader.Load(parse.GetValue(ModelArgument)!, parse.GetValue(TokenizerOption));
        string prompt = parse.GetValue(PromptOption)!;
        var output = Console.Out;
        output.Write(prompt);
        var result = new Generator(lm).Generate(prompt, options, text => { output.Write(text); output.Flush(); });
        output.WriteLine();
        // Stopping short of --max-tokens is said in the text output too, not only in --json's stop_reason.
        if (result.StopReason == StopReason.ContextFull)
            Console.Error.WriteLine($"stopped: the model's context window ({lm.Model.Config.ContextLength} tokens, prompt included) is full " +
                                    $"after {result.Tokens.Length} of {options.MaxTokens} tokens; a shorter --prompt leaves more room.");
        if (parse.GetValue(SharedOptions.Json))
            JsonLine.Print(new GenerateOutput(result.Tokens.Length, result.TokensPerSecond, result.PromptTokens, result.PromptTokensPerSecond,
                result.StopReason.ToString(), Threading.MaxThreads), CliJson.Default.GenerateOutput);
        return ExitCodes.Ok;
    }
}
