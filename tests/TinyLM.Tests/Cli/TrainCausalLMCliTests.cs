using System.Text.Json;
using TinyLM.IO;
using TinyLM.Models;

namespace TinyLM.Tests.Cli;

[Collection("Serial")]
public sealed class TrainCausalLMCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-trainlm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Text()
    {
        var lines = new List<string>();
        for (int i = 0; i < 200; i++) lines.Add($"the {(i % 2 == 0 ? "cat" : "dog")} sat on mat {i % 5}.");
        File.WriteAllLines(PathOf("text.txt"), lines);
        return PathOf("text.txt");
    }

    private static string[] Tiny(string data, string output) =>
        ["train", "lm", "--data", data, "--out", output, "--layers", "1", "--embed", "16", "--heads", "2", "--context", "16", "--steps", "6",
         "--batch", "4", "--warmup", "2", "--eval-every", "0", "--eval-batches", "2", "--json"];

    [Fact]
    public void Schedule_optimizer_init_and_position_options_reach_the_model_and_the_whole_split_loss_is_reported()
    {
        string data = Text();
        var (exit, stdout, stderr) = CliRunner.Run([.. Tiny(data, PathOf("m.tlm")), "--decay", "linear", "--min-lr", "0", "--beta1", "0.8",
            "--beta2", "0.95", "--weight-decay", "0.05", "--embed-decay", "false", "--tie", "false", "--zero-init-residual", "true",
            "--positions", "learned", "--eval-full"]);
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        double full = json.RootElement.GetProperty("val_loss_full").GetDouble();
        Assert.True(double.IsFinite(full) && full > 0, stdout);
        var config = CausalLMFile.Load(PathOf("m.tlm")).Model.Config;
        Assert.False(config.TieWeights);
        Assert.Equal(PositionKind.Learned, config.Positions);
        Assert.NotNull(CausalLMFile.Load(PathOf("m.tlm")).Model.PositionEmbeddings);

        // Without --eval-full the key is absent; the default GPT model has rotary positions (no position table), LayerNorm and the tied output.
        (exit, stdout, stderr) = CliRunner.Run(Tiny(data, PathOf("d.tlm")));
        Assert.True(exit == 0, stderr);
        using var plain = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        Assert.False(plain.RootElement.TryGetProperty("val_loss_full", out _));
        var defaults = CausalLMFile.Load(PathOf("d.tlm")).Model.Config;
        Assert.True(defaults.TieWeights);
        Assert.Equal(PositionKind.Rotary, defaults.Positions);
        Assert.Equal(NormKind.LayerNorm, defaults.Norm);
        Assert.Equal(MlpKind.Gelu, defaults.Mlp);
    }

    [Theory]
    [InlineData("--decay", "step", "--decay must be cosine, linear or none")]
    [InlineData("--positions", "alibi", "--positions must be learned or rotary")]
    [InlineData("--beta1", "1", "beta1 must be in [0, 1)")]
    [InlineData("--min-lr", "0.5", "min learning rate must be in")]
    public void Bad_values_are_usage_errors_naming_the_option(string option, string value, string message)
    {
        var (exit, _, stderr) = CliRunner.Run([.. Tiny(Text(), PathOf("bad.tlm")), option, value]);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("bad.tlm")));
    }
}
