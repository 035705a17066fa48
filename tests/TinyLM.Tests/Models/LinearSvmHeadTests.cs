using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Models;

/// <summary>The tf-idf linear SVM head: features, the dual coordinate descent fit, mixing, the model file.</summary>
[Collection("Serial")]
public class LinearSvmHeadTests
{
    private static TextClassifierConfig Bag => new()
    {
        Encoder = EncoderKind.Bag, VocabSize = 100, MaxLength = 16, EmbedDim = 16, Pooling = PoolingKind.Mean, EmbedInitStd = 0.05f,
    };

    private static TrainOptions Quick => new() { Epochs = 4, BatchSize = 8, LearningRate = 2e-2f, Schedule = ScheduleKind.Linear, Classifier = new() { SparseEmbeddingUpdates = true } };

    [Fact]
    public void Features_are_sublinear_tf_idf_over_distinct_known_ids_l2_normalised()
    {
        var head = new LinearSvmHead(rows: 6, classes: 2);
        // Three texts: id 2 in all, id 3 in one, id 4 in two; id 5 never (unseen ids count nowhere).
        head.FitIdf([[2, 3, 3], [2, 4], [2, 4, 0]]);
        double idf2 = Math.Log(4.0 / 4.0) + 1, idf3 = Math.Log(4.0 / 2.0) + 1;
        Assert.Equal(0f, head.Idf.AsSpan()[0]);
        Assert.Equal(0f, head.Idf.AsSpan()[5]);
        var (ids, values) = head.Features([3, 5, 2, 3, 3]);
        Assert.Equal([2, 3], ids);
        double a = idf2, b = (1 + Math.Log(3)) * idf3, norm = Math.Sqrt(a * a + b * b);
        Assert.Equal(a / norm, values[0], 6);
        Assert.Equal(b / norm, values[1], 6);
    }

    [Fact]
    public void Dual_coordinate_descent_reaches_the_primal_optimum_of_a_float64_reference()
    {
        // Five points in three dimensions, not separable with a margin of 1, so several hinge terms stay active.
        (int[] Ids, float[] Values)[] x =
        [
            ([0, 1], [1f, 0.5f]), ([1, 2], [0.3f, 1f]), ([0, 2], [-0.7f, 0.2f]), ([0, 1, 2], [0.1f, -0.4f, 0.9f]), ([2], [-1f]),
        ];
        sbyte[] y = [1, -1, -1, 1, 1];
        const float c = 2f;
        var (w, b) = LinearSvmFitter.Solve(x, y, rows: 3, penalty: c, seed: 7, tolerance: 1e-10, maxEpochs: 100_000);
        var (refW, refB) = PrimalReference(x, y, 3, c);
        for (int j = 0; j < 3; j++) Assert.Equal(refW[j], w[j], 5);
        Assert.Equal(refB, b, 5);
    }

    // ½(‖w‖² + b²) + C·Σ max(0, 1 − y(w·x + b))² minimised by plain gradient descent in float64 (smooth, strongly convex).
    private static (double[] W, double B) PrimalReference((int[] Ids, float[] Values)[] x, sbyte[] y, int rows, double c)
    {
        var w = new double[rows + 1]; // the bias last
        var g = new double[rows + 1];
        for (int it = 0; it < 200_000; it++)
        {
            for (int j = 0; j <= rows; j++) g[j] = w[j];
            for (int i = 0; i < x.Length; i++)
            {
                double m = w[rows];
                for (int k = 0; k < x[i].Ids.Length; k++) m += w[x[i].Ids[k]] * x[i].Values[k];
                double slack = 1 - y[i] * m;
                if (slack <= 0) continue;
                for (int k = 0; k < x[i].Ids.Length; k++) g[x[i].Ids[k]] -= 2 * c * slack * y[i] * x[i].Values[k];
                g[rows] -= 2 * c * slack * y[i];
            }
            for (int j = 0; j <= rows; j++) w[j] -= 0.01 * g[j];
        }
        return (w[..rows], w[rows]);
    }

    [Fact]
    public void Fitting_is_the_same_bits_at_any_thread_count_and_separates_toy_topics()
    {
        var train = ToyTopics.Make(200, seed: 3);
        float[] Fit(int threads)
        {
            int saved = Threading.MaxThreads;
            Threading.MaxThreads = threads;
            try
            {
                var model = TextClassifier.Create(Bag with { WordBigrams = true, LinearSvmWeight = 1f }, train.Examples);
                var ids = model.Inputs.EncodeAll(train.Examples.Select(e => e.Text).ToArray());
                var labels = train.Examples.Select(e => model.Labels.IndexOf(e.Label)).ToArray();
                LinearSvmFitter.Fit(model.LinearSvm!, ids, labels, seed: 5);
                return [.. model.LinearSvm!.Weight.ToArray(), .. model.LinearSvm.Bias.ToArray()];
            }
            finally
            {
                Threading.MaxThreads = saved;
            }
        }
        var one = Fit(1);
        Assert.Equal(one, Fit(2));
        Assert.Contains(one, v => v != 0f);
    }

    [Fact]
    public void Bag_with_the_svm_head_learns_saves_and_loads_identically()
    {
        var train = ToyTopics.Make(240, seed: 1);
        var test = ToyTopics.Make(90, seed: 2);
        foreach (var (nb, svm) in new[] { (0f, 1f), (0.5f, 0.5f) })
        {
            var model = TextClassifier.Create(Bag with { WordBigrams = true, NaiveBayesWeight = nb, LinearSvmWeight = svm }, train.Examples);
            model.Fit(train, options: Quick);
            Assert.True(model.Evaluate(test).Accuracy >= 0.9, $"γ {nb} λ {svm}: accuracy {model.Evaluate(test).Accuracy:P1}");
            var path = Path.Combine(Path.GetTempPath(), $"tinylm-{Guid.NewGuid():N}.tlm");
            try
            {
                model.Save(path);
                var loaded = TextClassifierFile.Load(path);
                Assert.Equal(svm, loaded.Config.LinearSvmWeight);
                Assert.Equal(model.LinearSvm!.Weight.ToArray(), loaded.LinearSvm!.Weight.ToArray());
                var texts = test.Examples.Select(e => e.Text).ToArray();
                var expected = model.PredictProbabilities(texts);
                var actual = loaded.PredictProbabilities(texts);
                for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public void The_svm_alone_predicts_the_argmax_of_its_margins()
    {
        var train = ToyTopics.Make(160, seed: 4);
        var model = TextClassifier.Create(Bag with { LinearSvmWeight = 1f }, train.Examples);
        model.Fit(train, options: Quick with { Epochs = 1 });
        var texts = ToyTopics.Make(30, seed: 5).Examples.Select(e => e.Text).ToArray();
        var ids = model.Inputs.EncodeAll(texts);
        var predicted = model.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var margins = model.LinearSvm!.Scores(Batching.Pad(ids, [i]));
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(margins), predicted[i]);
        }
    }

    [Fact]
    public void Bad_settings_are_refused_with_the_field_named()
    {
        Assert.Contains("LinearSvmWeight", Assert.Throws<ArgumentException>(() => (Bag with { LinearSvmWeight = 1.5f }).Validate()).Message);
        Assert.Contains("single-label", Assert.Throws<ArgumentException>(() => (Bag with { LinearSvmWeight = 0.5f, MultiLabel = true }).Validate()).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearSvmFitter.Solve([([0], [1f])], [1], 1, penalty: 0f, seed: 1));
    }
}
