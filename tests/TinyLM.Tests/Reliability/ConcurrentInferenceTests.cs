using TinyLM.Models;
using TinyLM.Models.Generation;
using TinyLM.Tests.Models;
using TinyLM.Text;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// Issue 16's concurrency: one loaded model serves predictions and generations from many threads at once with the
/// results of a sequential run, bit for bit. 16 threads × <c>TINYLM_STRESS_PREDICTIONS</c> predictions each
/// (100 in the suite; the 10,000 run's figure is in docs/benchmarks.md).
/// </summary>
public sealed class ConcurrentInferenceTests
{
    private const int Threads = 16;

    private static int PerThread =>
        int.TryParse(Environment.GetEnvironmentVariable("TINYLM_STRESS_PREDICTIONS"), out int n) && n > 0 ? n : 100;

    [Theory]
    [InlineData(EncoderKind.Bag)]
    [InlineData(EncoderKind.BiLstm)]
    [InlineData(EncoderKind.Transformer)]
    public void Sixteen_threads_predicting_on_one_classifier_get_the_sequential_results(EncoderKind encoder)
    {
        var data = ToyTopics.Make(60, seed: 2);
        var model = TextClassifier.Create(new TextClassifierConfig { Encoder = encoder, EmbedDim = 8, Hidden = 8, Heads = 2, Layers = 1, VocabSize = 60, MaxLength = 12, Seed = 5 },
            data.Examples);
        string[] texts = [.. data.Examples.Select(e => e.Text)];
        float[][] expected = [.. texts.Select(t => model.PredictProbabilities([t])[0])];
        // A batch pads its texts to a common length, which may round differently from one text alone: its own sequential results.
        float[][][] expectedBatch = [.. Enumerable.Range(0, texts.Length).Select(k => model.PredictProbabilities(texts[k..Math.Min(k + 5, texts.Length)]))];

        int perThread = PerThread, mismatches = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            for (int i = 0; i < perThread; i++)
            {
                int k = (thread * 7919 + i * 31) % texts.Length;
                // Mixed batch sizes: one text, and a run of texts, through the same model at the same time.
                if (i % 4 == 0)
                {
                    int n = Math.Min(5, texts.Length - k);
                    var batch = model.PredictProbabilities(texts[k..(k + n)]);
                    for (int j = 0; j < n; j++)
                        if (!batch[j].AsSpan().SequenceEqual(expectedBatch[k][j])) Interlocked.Increment(ref mismatches);
                }
                else if (!model.PredictProbabilities([texts[k]])[0].AsSpan().SequenceEqual(expected[k])) Interlocked.Increment(ref mismatches);
            }
        });
        Assert.True(mismatches == 0, $"{mismatches} of {Threads * perThread} concurrent predictions differ from the sequential ones ({encoder})");
        Console.WriteLine($"{encoder}: {Threads} threads x {perThread} predictions, 0 mismatches, {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static TokenizedCausalLM SmallLm()
    {
        var tokenizer = CharTokenizer.Fit("abcdefghij \n");
        var config = CausalLMTests.Gpt2 with { VocabSize = tokenizer.VocabSize, ContextLength = 32, Layers = 1, EmbedDim = 16, Heads = 2 };
        return new TokenizedCausalLM(CausalLMTests.Randomised(config), tokenizer);
    }

    [Fact]
    public void Sixteen_generators_over_one_model_generate_what_one_generates_alone()
    {
        var lm = SmallLm();
        string[] prompts = [.. Enumerable.Range(0, Threads).Select(i => new string((char)('a' + i % 10), 1 + i % 3))];
        var options = SamplingOptions.Greedy with { MaxTokens = 20 };
        string[] expected = [.. prompts.Select(p => new Generator(lm).Generate(p, options).Text)];
        var actual = new string[Threads];
        int rounds = Math.Max(1, PerThread / 20);
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, i =>
        {
            var generator = new Generator(lm); // one run state per thread, one model for all
            for (int r = 0; r < rounds; r++)
            {
                string text = generator.Generate(prompts[i], options).Text;
                if (r == 0 || text != actual[i]) actual[i] = text;
            }
        });
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task One_generator_used_from_two_threads_at_once_refuses_instead_of_mixing_their_caches()
    {
        var lm = SmallLm();
        var generator = new Generator(lm);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = Task.Run(() => generator.Generate("ab", SamplingOptions.Greedy with { MaxTokens = 5 }, _ =>
        {
            inside.Set();
            release.Wait();
        }));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));
        var e = Assert.Throws<InvalidOperationException>(() => generator.Generate("cd", SamplingOptions.Greedy));
        Assert.Contains("create one generator per thread", e.Message);
        release.Set();
        await first;
        Assert.Equal(new Generator(lm).Generate("cd", SamplingOptions.Greedy with { MaxTokens = 5 }).Text,
            generator.Generate("cd", SamplingOptions.Greedy with { MaxTokens = 5 }).Text); // usable again afterwards
    }
}
