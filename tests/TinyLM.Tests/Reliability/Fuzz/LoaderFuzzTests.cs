using System.Diagnostics;
using TinyLM.IO;
using Xunit.Abstractions;

namespace TinyLM.Tests.Reliability.Fuzz;

/// <summary>
/// Mutation fuzzing of every reader (issue 16): each seeded mutation of a small valid file must either load or fail
/// with <see cref="ModelFormatException"/> naming the file; any other exception, a case slower than the time budget or
/// one allocating beyond the memory budget fails the test with the seed, case and mutation that reproduce it.
/// </summary>
/// <remarks>
/// The default run is a fixed-seed slice that takes a few seconds. <c>TINYLM_FUZZ_CASES=100000</c> (cases per format)
/// and <c>TINYLM_FUZZ_SEED</c> make it the long run: <c>TINYLM_FUZZ_CASES=100000 dotnet test TinyLM.slnx -c Release
/// --filter FullyQualifiedName~LoaderFuzzTests</c>.
/// </remarks>
public sealed class LoaderFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCasesPerFormat = 500;

    // A valid seed loads in milliseconds; a case this slow is a hang in the making (a loop driven by a corrupt count).
    private static readonly TimeSpan CaseTimeBudget = TimeSpan.FromSeconds(5);

    // What one load may allocate: the model it builds (a few times the file, as floats plus work arrays) and a constant;
    // a reader trusting a corrupt size would allocate megabytes to gigabytes from a file of a few kilobytes.
    private const long AllocationPerFileByte = 64;
    private const long AllocationConstant = 16 << 20;

    public static TheoryData<string> Formats => [.. SeedFiles.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_mutation_loads_or_fails_with_a_format_error_naming_the_file(string format)
    {
        var seed = SeedFiles.Get(format);
        int formatIndex = SeedFiles.All.ToList().IndexOf(seed);
        seed.Load(seed.Bytes, format); // the seed itself is valid: otherwise every case would fail the same way

        int cases = int.TryParse(Environment.GetEnvironmentVariable("TINYLM_FUZZ_CASES"), out int n) && n > 0 ? n : DefaultCasesPerFormat;
        int baseSeed = int.TryParse(Environment.GetEnvironmentVariable("TINYLM_FUZZ_SEED"), out int s) ? s : 16;
        var outcomes = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            // A stable seed per (run seed, format, case): string hashes differ between processes, list positions do not.
            var rng = new Random(unchecked(baseSeed * 1_000_003 + formatIndex * 100_003 + i));
            var (bytes, mutation) = Mutator.Mutate(seed.Bytes, rng);
            string source = $"{format}#{i}";
            string outcome = Run(seed, bytes, source, $"seed {baseSeed}, case {i}, {mutation}");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        output.WriteLine($"{format}: {cases} cases in {clock.Elapsed.TotalSeconds:F1}s ({cases / clock.Elapsed.TotalSeconds:F0}/s): " +
                         string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));
        // The mutations must reach the readers' checks: a fuzzer whose every case loads tests nothing.
        Assert.True(outcomes.GetValueOrDefault("rejected") > cases / 10, $"only {outcomes.GetValueOrDefault("rejected")} of {cases} mutations were rejected");
    }

    private static string Run(SeedFiles.Seed seed, byte[] bytes, string source, string reproduce)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        string outcome;
        try
        {
            seed.Load(bytes, source);
            outcome = "loaded";
        }
        catch (ModelFormatException e)
        {
            Assert.True(e.Message.StartsWith(source + ":", StringComparison.Ordinal) && e.Problem.Length > 0,
                $"{reproduce}: the error does not name the file: {e.Message}");
            outcome = "rejected";
        }
        catch (Exception e)
        {
            Assert.Fail($"{reproduce}: {e.GetType().Name} instead of ModelFormatException: {e}");
            throw;
        }

        Assert.True(clock.Elapsed < CaseTimeBudget, $"{reproduce}: took {clock.Elapsed.TotalSeconds:F1}s");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long budget = AllocationPerFileByte * bytes.Length + AllocationConstant;
        Assert.True(allocated <= budget, $"{reproduce}: allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte file (budget {budget:N0})");
        return outcome;
    }
}
