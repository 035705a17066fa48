using TinyLM.Cli.Common;

namespace TinyLM.Tests.Cli;

/// <summary>Errors in the user's words (issue 21): no .NET type or parameter names, no settings-record prefixes.</summary>
[Collection("Serial")]
public sealed class UserWordsCliTests
{
    [Theory]
    [InlineData("CausalLMConfig: VocabSize must be ≥ 2, got 0.", "VocabSize must be ≥ 2, got 0.")]
    [InlineData("TrainOptions: Epochs must be ≥ 1, got 0.", "Epochs must be ≥ 1, got 0.")]
    [InlineData("Value cannot be negative. (Parameter 'value')", "Value cannot be negative.")]
    [InlineData("cannot convert to System.Nullable`1[System.Int32]", "cannot convert to Int32")]
    [InlineData("'x' is not a TinyLM.Models.EncoderKind", "'x' is not a EncoderKind")]
    [InlineData("data.tsv:3: no tab", "data.tsv:3: no tab")]
    public void A_library_message_loses_its_dotnet_vocabulary(string message, string expected) =>
        Assert.Equal(expected, UsageMessages.ForUser(message));

    [Fact]
    public void The_runner_prints_the_cleaned_message()
    {
        var (exit, _, stderr) = CliRunner.Capture(() => CommandRunner.Run(() => throw new ArgumentException("TrainOptions: LearningRate must be > 0 (Parameter 'value')")));
        Assert.Equal(1, exit);
        Assert.Equal("error: LearningRate must be > 0", stderr.Trim());
    }

    [Theory]
    [InlineData("yes", "true")]
    [InlineData("No", "false")]
    [InlineData("on", "true")]
    [InlineData("off", "false")]
    public void A_switch_takes_yes_no_on_off(string typed, string read)
    {
        var switches = new HashSet<string> { "--bigrams" };
        Assert.Equal(new[] { "train", "--bigrams", read, "x" }, UsageMessages.NormalizeSwitches(["train", "--bigrams", typed, "x"], switches));
        Assert.Equal(new[] { $"--bigrams={read}" }, UsageMessages.NormalizeSwitches([$"--bigrams={typed}"], switches));
        // Only after a switch: a value of another option, or a positional argument, is left as typed.
        Assert.Equal(new[] { "--out", typed }, UsageMessages.NormalizeSwitches(["--out", typed], switches));
    }

    [Fact]
    public void Every_switch_of_the_verb_tree_is_known_and_help_is_not_one()
    {
        var switches = TinyLM.Cli.Program.Switches(TinyLM.Cli.Program.BuildRoot());
        Assert.Contains("--tie", switches);
        Assert.Contains("--bigrams", switches);
        Assert.Contains("--json", switches);
        Assert.DoesNotContain("--help", switches);
    }

    [Fact]
    public void Help_shows_allowed_values_in_lower_case_and_no_enum_names_anywhere()
    {
        var (exit, stdout, _) = CliRunner.Run("train", "vectors", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--model <cbow|skipgram>", stdout, StringComparison.Ordinal);
        Assert.Contains("(default skipgram)", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SkipGram", stdout, StringComparison.Ordinal);
        (exit, stdout, _) = CliRunner.Run("train", "classify", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--encoder <bag|bigru|bilstm|cnn|transformer>", stdout, StringComparison.Ordinal);
        // Every enum-valued option of the verb tree, not only these two.
        static IEnumerable<System.CommandLine.Option> All(System.CommandLine.Command c) => c.Options.Concat(c.Subcommands.SelectMany(All));
        foreach (var option in All(TinyLM.Cli.Program.BuildRoot()))
            if ((Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType).IsEnum)
                Assert.True(option.HelpName is { } name && name == name.ToLowerInvariant(), $"{option.Name}: {option.HelpName}");
    }

    [Fact]
    public void An_unknown_vectors_model_is_a_usage_error_with_the_allowed_values()
    {
        var (exit, _, stderr) = CliRunner.Run("train", "vectors", "--data", "text.txt", "--out", "words.vec", "--model", "glove");
        Assert.Equal(2, exit);
        Assert.Contains("--model: 'glove' is not valid; expected one of cbow, skipgram.", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_training_verbs_share_one_description_of_the_checkpoint_options()
    {
        var help = new[] { "classify", "lm", "translate" }.Select(verb => CliRunner.Run("train", verb, "--help").Out).ToList();
        foreach (var flag in new[] { "--checkpoint <", "--checkpoint-every <", "--resume <" })
        {
            var lines = help.Select(h => h.Split('\n').Single(l => l.TrimStart().StartsWith(flag, StringComparison.Ordinal))).ToList();
            // The same text after the column padding, except the interval's default.
            var texts = lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l.Trim(), @"\s{2,}", "  ").Replace("[default: 500]", "[default: 200]")).ToList();
            Assert.All(texts, t => Assert.Equal(texts[0], t));
        }
    }

    [Fact]
    public void Bigrams_yes_parses_like_bigrams_true()
    {
        // Both fail on the missing training file, not on the switch: same exit code, same message.
        var yes = CliRunner.Run("train", "classify", "--train", "no-such.tsv", "--out", "m.tlm", "--bigrams", "yes");
        var tru = CliRunner.Run("train", "classify", "--train", "no-such.tsv", "--out", "m.tlm", "--bigrams", "true");
        Assert.Equal(tru.Exit, yes.Exit);
        Assert.Equal(tru.Err, yes.Err);
        Assert.DoesNotContain("Unrecognized", yes.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_corpus_is_bad_input_said_plainly()
    {
        string dir = Directory.CreateTempSubdirectory("tinylm-empty").FullName;
        try
        {
            string data = Path.Combine(dir, "empty.txt");
            File.WriteAllText(data, "");
            var (exit, _, stderr) = CliRunner.Run("train", "lm", "--data", data, "--out", Path.Combine(dir, "m.tlm"), "--steps", "1");
            Assert.Equal(1, exit);
            Assert.Contains("the training text is empty", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("VocabSize", stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dir, "m.tlm")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
