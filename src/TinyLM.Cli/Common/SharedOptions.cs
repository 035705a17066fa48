using System.CommandLine;

namespace TinyLM.Cli.Common;

/// <summary>
/// The options that many verbs take, declared once so that their name, description and parsing agree everywhere.
/// The flag instances are shared between commands; <see cref="CommandRunner"/> applies <see cref="Threads"/> for
/// every verb that lists it. <c>--seed</c> and <c>--out</c> differ per verb only in their default and whether they
/// are required, so they are made here by a factory with the one description.
/// </summary>
public static class SharedOptions
{
    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Where named datasets live (else $TINYLM_DATA, ../shared/datasets, ~/.cache/tinylm)",
    };

    public static readonly Option<int?> Threads = new("--threads") { Description = "Threads (default: all cores)" };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the results as JSON on standard output, the last line (fields: docs/cli.md)",
    };

    /// <summary>
    /// <c>--threads</c> of the bench verbs: not a cap on the threads used, as on the other verbs, but the one thread count
    /// to measure (default: 1 and all cores). A value below 1 is a usage error.
    /// </summary>
    public static readonly Option<int?> MeasureThreads = new("--threads") { Description = "Measure only this thread count (default: 1 and all cores)" };

    public static readonly Option<bool> SkipBad = new("--skip-bad") { Description = "Skip and count bad input lines instead of failing" };

    private const string SeedDescription = "Seed of weights, data order and sampling: the same seed and inputs give the same result, bit for bit";

    private const string OutDescription = "Where to write the output file (written whole or not at all; never one of the inputs)";

    /// <summary><c>--seed</c> with this verb's default.</summary>
    public static Option<ulong> Seed(ulong defaultValue) => new("--seed") { Description = SeedDescription, DefaultValueFactory = _ => defaultValue };

    /// <summary><c>--out</c>: required where the verb exists to write a file, optional where writing is a by-product.</summary>
    public static Option<string> Out(bool required = true) => new("--out") { Description = OutDescription, Required = required };

    /// <summary>
    /// <c>--checkpoint</c>, <c>--checkpoint-every</c> and <c>--resume</c> of the training verbs, one help text for all;
    /// only the interval's default differs per verb.
    /// </summary>
    public static Checkpointing Checkpoint(int defaultEvery) => new(
        new Option<string?>("--checkpoint") { Description = "Resumable training state, written whole every --checkpoint-every steps (train lm: and at the end)" },
        new Option<int>("--checkpoint-every") { Description = "Optimizer steps between checkpoints", DefaultValueFactory = _ => defaultEvery },
        new Option<string?>("--resume") { Description = "Continue from a --checkpoint file written with the same data and options" });

    /// <summary><c>--skip-nonfinite</c> of the training verbs.</summary>
    public static readonly Option<bool> SkipNonFinite = new("--skip-nonfinite")
    {
        Description = "Skip a batch whose loss or gradients are NaN or infinite (its step changes no weight) instead of stopping the run",
    };

    /// <summary>The three checkpoint options of one verb, in the order they are listed.</summary>
    public sealed record Checkpointing(Option<string?> File, Option<int> Every, Option<string?> Resume)
    {
        public Option[] All => [File, Every, Resume];
    }
}
