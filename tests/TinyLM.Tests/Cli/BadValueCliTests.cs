namespace TinyLM.Tests.Cli;

/// <summary>Issue 21, item 5: a bad value is named by its option, in the user's words, as a usage error (exit 2).</summary>
public sealed class BadValueCliTests
{
    [Theory]
    [InlineData("--epochs", "abc", "--epochs: 'abc' is not valid; expected a whole number.")]
    [InlineData("--bigrams", "maybe", "--bigrams: 'maybe' is not valid; expected true or false (or yes/no, on/off).")]
    public void Train_classify_names_the_option_and_what_it_takes(string option, string value, string message)
    {
        var (exit, stdout, stderr) = CliRunner.Run("train", "classify", "--train", "no-such.tsv", "--out", "never.tlm", option, value);
        Assert.Equal(2, exit);
        Assert.Equal($"error: {message}\nsee: tinylm train classify --help\n", stderr.Replace("\r", ""));
        Assert.Equal("", stdout);
        Assert.False(File.Exists("never.tlm"));
    }

    [Fact]
    public void A_stray_word_after_a_value_option_is_still_an_unrecognized_argument()
    {
        var (exit, _, stderr) = CliRunner.Run("train", "classify", "--train", "no-such.tsv", "--out", "never.tlm", "--epochs", "2", "maybe");
        Assert.Equal(2, exit);
        Assert.Contains("Unrecognized command or argument 'maybe'", stderr, StringComparison.Ordinal);
    }
}
