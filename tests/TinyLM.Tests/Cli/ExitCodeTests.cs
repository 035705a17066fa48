using System.CommandLine;
using TinyLM.Cli.Common;
using TinyLM.Kernels;

namespace TinyLM.Tests.Cli;

/// <summary>The one mapping from failures to exit codes (docs/cli.md, "Exit codes"), and what the user sees.</summary>
[Collection("Serial")]
public sealed class ExitCodeTests
{
    public static TheoryData<Exception, int> Failures() => new()
    {
        { new CliError("bad flag", ExitCodes.Usage), 2 },
        { new CliError("bad file"), 1 },
        { new InvalidDataException("x.tlm: bad magic"), 1 },
        { new FileNotFoundException("no such file", "x.tsv"), 1 },
        { new DirectoryNotFoundException("no such folder"), 1 },
        { new FormatException("not a number"), 1 },
        { new ArgumentException("VocabSize must be ≥ 2"), 1 },
        { new InvalidOperationException("already quantized"), 1 },
        { new UnauthorizedAccessException("read-only"), 1 },
        { new NullReferenceException(), 70 },
        { new IndexOutOfRangeException(), 70 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_maps_to_its_documented_code(Exception error, int code) => Assert.Equal(code, ExitCodes.For(error));

    [Fact]
    public void The_runner_prints_a_user_error_as_one_line_and_a_bug_with_its_stack()
    {
        var (exit, _, stderr) = CliRunner.Capture(() => CommandRunner.Run(() => throw new InvalidDataException("data.tsv:3: no tab")));
        Assert.Equal(1, exit);
        Assert.Equal("error: data.tsv:3: no tab", stderr.Trim());

        var (bugExit, _, bugErr) = CliRunner.Capture(() => CommandRunner.Run(() => throw new NullReferenceException("oops")));
        Assert.Equal(70, bugExit);
        Assert.StartsWith("internal error: System.NullReferenceException: oops", bugErr, StringComparison.Ordinal);
        Assert.Contains(" at ", bugErr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_library_check_is_a_usage_error_or_bad_input_as_the_verb_says()
    {
        var usage = Assert.Throws<CliError>(() => CliError.Check(() => throw new ArgumentException("Epochs must be ≥ 1")));
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);
        Assert.Equal("Epochs must be ≥ 1", usage.Message);

        var input = Assert.Throws<CliError>(() => CliError.Check(() => throw new ArgumentException("unknown byte"), ExitCodes.BadInput, "t.txt: "));
        Assert.Equal(ExitCodes.BadInput, input.ExitCode);
        Assert.Equal("t.txt: unknown byte", input.Message);

        Assert.Equal(3, CliError.Check(() => 3));
        Assert.Throws<IOException>(() => CliError.Check(() => throw new IOException("disk full")));
    }

    [Theory]
    [InlineData("train", "classify", "--out", "x.tlm")] // a required option missing
    [InlineData("predict", "m.tlm", "--top", "many")] // a value of the wrong type
    [InlineData("no-such-verb")]
    [InlineData("train")] // a verb without its task
    public void A_command_line_that_does_not_parse_exits_2_with_a_pointer_to_help(params string[] args)
    {
        var (exit, stdout, stderr) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.Contains("--help", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", stdout + stderr, StringComparison.Ordinal); // the message, not the whole help
    }

    [Theory]
    [InlineData("predict m.tlm --top many", "--top: 'many' is not valid; expected a whole number.")]
    [InlineData("generate m.tlm --seed -1", "--seed: '-1' is not valid; expected a whole number ≥ 0.")]
    [InlineData("train classify --train t.tsv --out m.tlm --pooling sum", "--pooling: 'sum' is not valid; expected one of last, max, mean.")]
    public void A_value_of_the_wrong_type_is_named_in_the_users_words(string line, string message)
    {
        var (exit, _, stderr) = CliRunner.Run(line.Split(' '));
        Assert.Equal(2, exit);
        Assert.Equal("error: " + message, stderr.Split('\n')[0].TrimEnd());
        Assert.DoesNotContain("System.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("TinyLM.", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Threads_below_one_is_a_usage_error_on_every_verb_that_takes_it()
    {
        int before = Threading.MaxThreads;
        foreach (var args in new[] { new[] { "eval", "m.tlm", "t.tsv" }, ["predict", "m.tlm", "x"], ["generate", "m.tlm"], ["quantize", "m.tlm", "--out", "q.tlm"] })
        {
            var (exit, _, stderr) = CliRunner.Run([.. args, "--threads", "0"]);
            Assert.Equal(2, exit);
            Assert.Contains("--threads must be ≥ 1", stderr, StringComparison.Ordinal);
        }
        Assert.Equal(before, Threading.MaxThreads);
    }

    [Fact]
    public void A_missing_model_file_is_bad_input()
    {
        var (exit, _, stderr) = CliRunner.Run("eval", "no-such-model.tlm", "no-such-data.tsv");
        Assert.Equal(1, exit);
        Assert.Contains("no-such", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_sets_its_field_only_when_given()
    {
        var width = new Override<(int Width, int Depth), int>("--width", "Width", (t, v) => t with { Width = v });
        var depth = new Override<(int Width, int Depth), int>("--depth", "Depth", (t, v) => t with { Depth = v });
        var command = new RootCommand();
        command.AddOptions(new Override<(int, int)>[] { width, depth }.Options());

        var parse = command.Parse(["--width", "7"]);
        Assert.Equal((7, 2), new Override<(int Width, int Depth)>[] { width, depth }.Apply(parse, (1, 2)));
        Assert.True(width.IsGiven(parse));
        Assert.False(depth.IsGiven(parse));
    }
}
