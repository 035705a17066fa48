using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Models;
using TinyLM.Training;

namespace TinyLM.Tests.Training;

[Collection("Serial")]
public sealed class WeightAverageTests
{
    // Σₛ dᵗ⁻ˢ·θₛ / Σₛ dᵗ⁻ˢ over the snapshots, in float64.
    private static double[] Reference(IReadOnlyList<float[]> snapshots, double decay)
    {
        var sum = new double[snapshots[0].Length];
        double norm = 0;
        for (int s = 0; s < snapshots.Count; s++)
        {
            double w = Math.Pow(decay, snapshots.Count - 1 - s);
            norm += w;
            for (int j = 0; j < sum.Length; j++) sum[j] += w * snapshots[s][j];
        }
        for (int j = 0; j < sum.Length; j++) sum[j] /= norm;
        return sum;
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
            Assert.True(Math.Abs(expected[j] - actual[j]) <= 1e-5 * (1 + Math.Abs(expected[j])),
                $"{what}[{j}]: expected {expected[j]}, got {actual[j]}");
    }

    [Theory]
    [InlineData(0.9f, 1)]
    [InlineData(0.9f, 7)]
    [InlineData(0.5f, 40)]
    [InlineData(0.999f, 25)]
    public void The_average_equals_a_float64_reference(float decay, int steps)
    {
        var rng = new Random(steps);
        var a = Tensor.FromArray(new float[37], 37);   // odd sizes: SIMD bodies and tails
        var b = Tensor.FromArray(new float[3 * 5], 3, 5);
        var average = new WeightAverage([a, b], decay);
        var snapshotsA = new List<float[]>();
        var snapshotsB = new List<float[]>();
        for (int t = 0; t < steps; t++)
        {
            foreach (var p in new[] { a, b })
            {
                var span = p.AsSpan();
                for (int j = 0; j < span.Length; j++) span[j] = (float)(rng.NextDouble() * 4 - 2);
            }
            snapshotsA.Add(a.ToArray());
            snapshotsB.Add(b.ToArray());
            average.Update();
        }
        Assert.Equal(steps, average.Updates);
        AssertClose(Reference(snapshotsA, decay), average.Average(0), "a");
        AssertClose(Reference(snapshotsB, decay), average.Average(1), "b");
    }

    [Fact]
    public void The_first_update_copies_the_weights_and_a_weight_that_never_moves_stays_bit_identical()
    {
        float[] start = [0.1f, -3.3f, 1e-7f, 12345.678f, float.Epsilon];
        var p = Tensor.FromArray((float[])start.Clone(), start.Length);
        var average = new WeightAverage([p], 0.999f);
        for (int t = 0; t < 50; t++)
        {
            average.Update();
            Assert.Equal(start, average.Average(0).ToArray());
        }
    }

    [Fact]
    public void WithAverage_runs_on_the_average_and_puts_the_trained_weights_back()
    {
        var p = Tensor.FromArray([1f, 2f], 2);
        var average = new WeightAverage([p], 0.5f);
        average.Update();                                 // average (1, 2)
        p.AsSpan()[0] = 3f;
        average.Update();                                 // (1·0.5 + 3) / 1.5 = 2.333…
        float seen = average.WithAverage(() => p.AsSpan()[0]);
        Assert.Equal(7f / 3f, seen, 6);
        Assert.Equal([3f, 2f], p.ToArray());
        average.CopyToParameters();
        Assert.Equal(7f / 3f, p.AsSpan()[0], 6);
    }

    [Fact]
    public void A_decay_outside_zero_to_one_is_refused()
    {
        var p = Tensor.FromArray([1f], 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage([p], 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage([p], 0f));
        var error = Assert.Throws<ArgumentException>(() => new TrainOptions { AverageDecay = 1f }.Validate());
        Assert.Contains("average decay", error.Message);
    }

    private static TextClassifierConfig Small => new()
    {
        Encoder = EncoderKind.BiLstm, VocabSize = 100, MaxLength = 16, EmbedDim = 16, Hidden = 12, Pooling = PoolingKind.Last, Dropout = 0.2f,
    };

    [Fact]
    public void The_trainer_leaves_the_average_of_the_weights_after_every_step_in_the_model()
    {
        var train = ToyTopics.Make(48, seed: 9);
        var options = new TrainOptions { Epochs = 2, BatchSize = 8, LearningRate = 1e-2f, AverageDecay = 0.9f };
        var model = TextClassifier.Create(Small, train.Examples);
        var parameters = model.Parameters().ToArray();
        var snapshots = new List<float[][]>();
        new ClassifierTrainer(model, options) { AfterStep = _ => snapshots.Add(Array.ConvertAll(parameters, p => p.ToArray())) }.Fit(train);
        Assert.Equal(12, snapshots.Count);
        for (int i = 0; i < parameters.Length; i++)
            AssertClose(Reference(snapshots.Select(s => s[i]).ToList(), 0.9), parameters[i].AsSpan(), $"parameter {i}");
        // The last step's weights differ from the average somewhere: the model really holds the average.
        Assert.Contains(Enumerable.Range(0, parameters.Length), i => !parameters[i].ToArray().SequenceEqual(snapshots[^1][i]));
    }

    [Fact]
    public void Resuming_an_averaging_run_from_a_checkpoint_file_gives_the_same_bits()
    {
        var train = ToyTopics.Make(48, seed: 9);
        var options = new TrainOptions { Epochs = 2, BatchSize = 8, LearningRate = 1e-2f, AverageDecay = 0.8f, CheckpointEvery = 5 };
        var straight = TextClassifier.Create(Small, train.Examples);
        string path = Path.Combine(Path.GetTempPath(), $"tinylm-ema-{Guid.NewGuid():N}.tlm");
        try
        {
            bool saved = false;
            new ClassifierTrainer(straight, options)
            {
                Checkpoint = c =>
                {
                    if (saved) return;
                    ClassifierCheckpointFile.Save(straight, c, path);
                    saved = true;
                },
            }.Fit(train);
            Assert.True(saved);

            var (resumed, checkpoint) = ClassifierCheckpointFile.Load(path);
            Assert.NotNull(checkpoint.Average);
            Assert.Equal(5, checkpoint.AverageUpdates);
            new ClassifierTrainer(resumed, options) { ResumeFrom = checkpoint }.Fit(train);
            var a = straight.Parameters().ToArray();
            var b = resumed.Parameters().ToArray();
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].ToArray(), b[i].ToArray());

            // A checkpoint without an average cannot resume an averaging run.
            var error = Assert.Throws<InvalidDataException>(() =>
                new ClassifierTrainer(TextClassifier.Create(Small, train.Examples), options)
                {
                    ResumeFrom = checkpoint with { Average = null },
                }.Fit(train));
            Assert.Contains("no average", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Validation_scores_the_average_and_the_best_weights_are_the_averaged_ones()
    {
        var train = ToyTopics.Make(48, seed: 9);
        var valid = ToyTopics.Make(30, seed: 10, source: "valid.tsv");
        var options = new TrainOptions { Epochs = 3, BatchSize = 8, LearningRate = 1e-2f, AverageDecay = 0.9f };
        var model = TextClassifier.Create(Small, train.Examples);
        var result = new ClassifierTrainer(model, options).Fit(train, valid);
        Assert.NotNull(result.BestValidationAccuracy);
        Assert.Equal(result.BestValidationAccuracy!.Value, model.Evaluate(valid).Accuracy, 12);
    }
}
