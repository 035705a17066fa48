namespace TinyLM.Tests.Cli;

/// <summary>Issue 21: `train translate` without --epochs or --minutes has a time budget, and --minutes does not report "epoch 1/1000".</summary>
[Collection("Serial")]
public sealed class TrainTranslateBudgetCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-mt-budget-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Tiny(string output)
    {
        string pairs = Path.Combine(_dir, "pairs.tsv");
        string[] de = ["ein hund", "eine katze"], en = ["a dog", "a cat"];
        File.WriteAllLines(pairs, Enumerable.Range(0, 8).Select(i => $"{de[i % 2]}\t{en[i % 2]}"));
        return ["train", "translate", "--src", pairs, "--out", Path.Combine(_dir, output), "--arch", "rnn", "--embed", "8", "--hidden", "8",
                "--vocab", "262", "--batch-tokens", "64", "--threads", "1"];
    }

    [Fact]
    public void Without_epochs_or_minutes_the_run_has_the_default_budget_and_says_so()
    {
        var (exit, _, stderr) = CliRunner.Run(Tiny("d.tlm"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("budget: 15 min or 20 epochs, whichever comes first (the default; --minutes M or --epochs N to change)", stderr, StringComparison.Ordinal);
        Assert.Contains("saved " + Path.Combine(_dir, "d.tlm"), stderr, StringComparison.Ordinal);
        Assert.Contains("after 20 epochs", stderr, StringComparison.Ordinal); // the tiny corpus finishes its 20 epochs well inside the budget
    }

    [Fact]
    public void Minutes_alone_reports_epochs_without_the_unreachable_bound_and_epochs_alone_has_no_budget()
    {
        var (exit, _, stderr) = CliRunner.Run([.. Tiny("m.tlm"), "--minutes", "0.02"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("budget: 0.02 min\n", stderr.Replace("\r", ""), StringComparison.Ordinal);
        Assert.DoesNotContain("/1000", stderr, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^epoch 1  loss ", stderr);

        (exit, _, stderr) = CliRunner.Run([.. Tiny("e.tlm"), "--epochs", "2"]);
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("budget:", stderr, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^epoch 2/2  loss ", stderr);
    }
}
