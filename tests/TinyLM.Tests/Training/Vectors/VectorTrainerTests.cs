using TinyLM.IO;
using TinyLM.Training.Vectors;

namespace TinyLM.Tests.Training.Vectors;

public sealed class VectorTrainerTests
{
    [Fact]
    public void Negative_sampling_gradient_matches_float64_finite_differences()
    {
        const int dim = 6;
        var rnd = new Random(3);
        float[] h = Enumerable.Range(0, dim).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
        float[] output = Enumerable.Range(0, 4 * dim).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
        int[] negs = [1, 3];
        var grad = new float[dim];
        double loss = VectorTrainer.NegativeSampling(h, (float[])output.Clone(), dim, 2, negs, 0f, grad);

        double Loss(double[] hh, double[] uu)
        {
            double Dot(int row) { double s = 0; for (int k = 0; k < dim; k++) s += hh[k] * uu[row * dim + k]; return s; }
            double Sp(double x) => Math.Log(1 + Math.Exp(x));
            return Sp(-Dot(2)) + Sp(Dot(1)) + Sp(Dot(3));
        }
        double[] hd = h.Select(v => (double)v).ToArray(), ud = output.Select(v => (double)v).ToArray();
        Assert.Equal(Loss(hd, ud), loss, 4);
        const double eps = 1e-6;
        for (int k = 0; k < dim; k++)
        {
            var p = (double[])hd.Clone(); p[k] += eps;
            var m = (double[])hd.Clone(); m[k] -= eps;
            Assert.Equal((Loss(p, ud) - Loss(m, ud)) / (2 * eps), grad[k], 4);
        }
        // The output rows move by -lr * dL/du: with lr = 1 the change is minus the gradient.
        float[] moved = (float[])output.Clone();
        VectorTrainer.NegativeSampling(h, moved, dim, 2, negs, 1f, new float[dim]);
        foreach (int row in new[] { 1, 2, 3 })
            for (int k = 0; k < dim; k++)
            {
                var p = (double[])ud.Clone(); p[row * dim + k] += eps;
                var m = (double[])ud.Clone(); m[row * dim + k] -= eps;
                Assert.Equal((Loss(hd, p) - Loss(hd, m)) / (2 * eps), output[row * dim + k] - moved[row * dim + k], 4);
            }
        for (int k = 0; k < dim; k++) Assert.Equal(output[k], moved[k]);   // row 0 was not sampled
    }

    /// <summary>Two groups of words that only ever co-occur within their group.</summary>
    private static IEnumerable<string> PlantedCorpus(int lines, int seed)
    {
        string[][] groups = [["apple", "pear", "plum", "fig", "grape"], ["red", "blue", "green", "cyan", "pink"]];
        var rnd = new Random(seed);
        for (int i = 0; i < lines; i++)
        {
            string[] g = groups[i % 2];
            yield return string.Join(' ', Enumerable.Range(0, 8).Select(_ => g[rnd.Next(g.Length)]));
        }
    }

    private static float Cos(WordVectors v, string a, string b)
    {
        int i = v.Words.ToList().IndexOf(a), j = v.Words.ToList().IndexOf(b);
        return System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(v.Row(i), v.Row(j));
    }

    [Theory]
    [InlineData(VectorModel.SkipGram, 0)]
    [InlineData(VectorModel.Cbow, 0)]
    [InlineData(VectorModel.SkipGram, 3)]
    public void Words_of_a_planted_group_end_up_nearer_than_words_of_different_groups(VectorModel model, int minn)
    {
        var trainer = new VectorTrainer(PlantedCorpus(400, 7), new VectorTrainOptions
        {
            Model = model, Dim = 16, Window = 3, Negatives = 5, MinCount = 1, Epochs = 5, LearningRate = 0.05f,
            MinN = minn, MaxN = minn == 0 ? 0 : 4, Buckets = 1000, Sample = 0, Threads = 1, Seed = 1,
        });
        WordVectors v = trainer.Train();
        Assert.Equal(10, v.Words.Count);
        double within = new[] { ("apple", "pear"), ("plum", "grape"), ("red", "blue"), ("green", "pink") }.Average(p => Cos(v, p.Item1, p.Item2));
        double across = new[] { ("apple", "red"), ("pear", "blue"), ("plum", "green"), ("fig", "cyan") }.Average(p => Cos(v, p.Item1, p.Item2));
        Assert.True(within > across + 0.3, $"within {within:F3} across {across:F3}");
    }

    [Fact]
    public void Multi_threaded_training_also_separates_the_groups_and_reports_progress()
    {
        var seen = new List<VectorProgress>();
        var trainer = new VectorTrainer(PlantedCorpus(4000, 9), new VectorTrainOptions
        { Dim = 16, Window = 3, MinCount = 1, Epochs = 2, MinN = 0, MaxN = 0, Sample = 0, Threads = 2 });
        WordVectors v = trainer.Train(p => { lock (seen) seen.Add(p); });
        Assert.True(Cos(v, "apple", "fig") > Cos(v, "apple", "cyan") + 0.3);
        Assert.Equal(seen[^1].WordsTotal, seen[^1].WordsDone);
        Assert.Equal(4000L * 8 * 2, seen[^1].WordsTotal);
    }

    [Fact]
    public void Words_below_min_count_are_left_out_and_an_empty_vocabulary_is_an_error()
    {
        var trainer = new VectorTrainer(["a a a b", "a a c"], new VectorTrainOptions { Dim = 4, MinCount = 2, MinN = 0, MaxN = 0, Epochs = 1 });
        Assert.Equal(1, trainer.VocabularySize);
        var ex = Assert.Throws<ArgumentException>(() => new VectorTrainer(["a b c"], new VectorTrainOptions { MinCount = 5 }));
        Assert.Contains("--min-count", ex.Message);
    }
}
