using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;
using TinyLM.Text;
using TinyLM.Training;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TinyLM.Tests.Compression;

[Collection("Serial")]
public class CausalLMDistillerTests
{
    private const string Alphabet = "abcdefghij ";

    // A first-order Markov text: every symbol has three likely successors (0.55 / 0.3 / 0.15), so each next token
    // is uncertain and a hard label is a noisy sample of the distribution a good teacher knows.
    private static string MarkovText(int length, ulong seed)
    {
        var rng = new Rng(seed);
        int n = Alphabet.Length;
        var next = new int[n, 3];
        var structure = new Rng(99);
        for (int s = 0; s < n; s++)
        {
            var order = structure.Permutation(n);
            for (int j = 0; j < 3; j++) next[s, j] = order[j];
        }
        var chars = new char[length];
        int state = 0;
        for (int i = 0; i < length; i++)
        {
            float u = rng.NextFloat();
            state = next[state, u < 0.55f ? 0 : u < 0.85f ? 1 : 2];
            chars[i] = Alphabet[state];
        }
        return new string(chars);
    }

    private static CausalLMConfig Shape(int vocab, int layers, int embed, int heads, ulong seed) => CausalLMConfig.NanoGptShakespeareCpu with
    {
        VocabSize = vocab, ContextLength = 16, Layers = layers, Heads = heads, EmbedDim = embed, Seed = seed,
    };

    private static (TokenizedCausalLM Teacher, CausalLMData Data) TrainedTeacher()
    {
        var text = MarkovText(12_000, seed: 7);
        var tok = CharTokenizer.Fit(Alphabet);
        var ids = tok.Encode(text);
        var teacher = new TokenizedCausalLM(new CausalLM(Shape(tok.VocabSize, 2, 32, 2, seed: 1)), tok);
        var data = new CausalLMData(ids, 16);
        new CausalLMTrainer(teacher.Model, TrainOptions.ForCausalLM with { Steps = 150, BatchSize = 16, LearningRate = 3e-3f, WarmupSteps = 10, CausalLM = new() { EvalEvery = 0, EvalBatches = 2 } })
            .Fit(data);
        return (teacher, data);
    }

    private static CausalLMDistillOptions Options(int steps, float alpha, float temperature = 1f, int topK = 0, int batch = 8, float lr = 3e-3f) => new()
    {
        Temperature = temperature, Alpha = alpha, TopK = topK,
        Training = TrainOptions.ForCausalLM with
        {
            Steps = steps, BatchSize = batch, LearningRate = lr, MinLearningRate = lr / 10, WarmupSteps = 5, Seed = 3,
            CausalLM = new() { EvalEvery = 0, EvalBatches = 2 },
        },
    };

    private static float[] SoftmaxRows(float[] logits, int v, float temperature)
    {
        var scaled = new float[logits.Length];
        TensorPrimitives.Divide(logits, temperature, scaled);
        var probs = new float[logits.Length];
        SoftmaxKernels.Softmax(scaled, probs, logits.Length / v, v);
        return probs;
    }

    [Theory]
    [InlineData(1f, 0.5f)]
    [InlineData(2f, 1f)]
    public void Loss_gradient_with_top_k_targets_matches_float64_finite_differences(float temperature, float alpha)
    {
        // Top-k targets are dense rows with zeros outside the kept tokens; the KL skips them (0·log 0 = 0).
        var rng = new Rng(4);
        const int rows = 4, v = 9;
        var p = new float[rows * v];
        for (int r = 0; r < rows; r++)
        {
            p[r * v + r] = 0.6f;
            p[r * v + (r + 3) % v] = 0.3f;
            p[r * v + (r + 5) % v] = 0.1f;
        }
        int[] y = [0, 3, 8, 2];
        GradCheck.Check(x => DistillationLoss.Compute(x[0], p, y, temperature, alpha), GradCheck.Input(rng, [rows, v], scale: 1.5f));
    }

    [Fact]
    public void Full_cache_holds_the_teachers_softmax_at_temperature_T()
    {
        var tok = CharTokenizer.Fit(Alphabet);
        var teacher = new CausalLM(Shape(tok.VocabSize, 1, 16, 2, seed: 5));
        var ids = tok.Encode(MarkovText(200, seed: 1));
        var set = CausalLMTransferSet.Build(teacher, ids, context: 8, temperature: 2f, topK: 0, batchSize: 3);
        Assert.True(set.IsFull);
        Assert.Equal((ids.Length - 1) / 8, set.Windows);
        Assert.Equal((long)set.Windows * 8 * tok.VocabSize * 2, set.CacheBytes);

        int[] windows = [0, 5, set.Windows - 1];
        var (x, y) = set.Batch(windows);
        Assert.Equal(ids.AsSpan(5 * 8, 8).ToArray(), x.Data.AsSpan(8, 8).ToArray());
        Assert.Equal(ids.AsSpan(5 * 8 + 1, 8).ToArray(), y.Data.AsSpan(8, 8).ToArray());
        float[] logits;
        using (Tensor.NoGrad()) logits = teacher.Forward(x).ToArray(); // (3, 8, V)
        var expected = SoftmaxRows(logits, tok.VocabSize, 2f);
        var dense = new float[expected.Length];
        set.DenseTargets(windows, dense);
        for (int i = 0; i < dense.Length; i++)
            Assert.True(Math.Abs(dense[i] - expected[i]) <= 1e-3f * Math.Max(expected[i], 0.01f), $"entry {i}: cached {dense[i]}, teacher {expected[i]}");
    }

    [Fact]
    public void Top_k_cache_keeps_the_k_most_likely_tokens_renormalised()
    {
        var tok = CharTokenizer.Fit(Alphabet);
        var teacher = new CausalLM(Shape(tok.VocabSize, 1, 16, 2, seed: 6));
        var ids = tok.Encode(MarkovText(120, seed: 2));
        const int k = 3;
        int v = tok.VocabSize;
        var set = CausalLMTransferSet.Build(teacher, ids, context: 8, temperature: 1.5f, topK: k);
        Assert.False(set.IsFull);
        Assert.Equal(k, set.K);
        int[] windows = [1, 2];
        var (x, _) = set.Batch(windows);
        float[] logits;
        using (Tensor.NoGrad()) logits = teacher.Forward(x).ToArray();
        var full = SoftmaxRows(logits, v, 1.5f);
        var dense = new float[full.Length];
        set.DenseTargets(windows, dense);
        for (int r = 0; r < windows.Length * 8; r++)
        {
            var row = full.AsSpan(r * v, v).ToArray();
            var order = Enumerable.Range(0, v).OrderByDescending(j => row[j]).ThenBy(j => j).ToArray();
            float kept = 0;
            for (int j = 0; j < k; j++) kept += row[order[j]];
            for (int j = 0; j < v; j++)
            {
                int rank = Array.IndexOf(order, j);
                float want = rank < k ? row[j] / kept : 0f;
                Assert.True(Math.Abs(dense[r * v + j] - want) <= 2e-3f * Math.Max(want, 0.01f), $"row {r} token {j} (rank {rank}): cached {dense[r * v + j]}, want {want}");
            }
            Assert.Equal(1f, TensorPrimitives.Sum(dense.AsSpan(r * v, v)), 5);
        }
    }

    [Fact]
    public void Teacher_and_student_with_different_vocabularies_are_rejected()
    {
        var tok = CharTokenizer.Fit(Alphabet);
        var teacher = new TokenizedCausalLM(new CausalLM(Shape(tok.VocabSize, 1, 16, 2, seed: 1)), tok);
        var wider = Assert.Throws<ArgumentException>(() => CausalLMDistiller.CreateStudent(teacher, Shape(tok.VocabSize + 4, 1, 8, 2, seed: 1)));
        Assert.Contains("vocabulary size", wider.Message);

        // Same size, different symbols: the same id would mean another character.
        var other = CharTokenizer.Fit("klmnopqrstu");
        Assert.Equal(tok.VocabSize, other.VocabSize);
        var student = new TokenizedCausalLM(new CausalLM(Shape(other.VocabSize, 1, 8, 2, seed: 1)), other);
        var e = Assert.Throws<ArgumentException>(() => CausalLMDistiller.CheckCompatible(teacher, student));
        Assert.Contains("tokenizers differ", e.Message);

        var longer = new TokenizedCausalLM(new CausalLM(Shape(tok.VocabSize, 1, 8, 2, seed: 1) with { ContextLength = 32 }), tok);
        Assert.Contains("context length", Assert.Throws<ArgumentException>(() => CausalLMDistiller.CheckCompatible(teacher, longer)).Message);

        var ids = tok.Encode(MarkovText(400, seed: 3));
        var hard = CausalLMTransferSet.HardOnly(ids, 16, tok.VocabSize);
        Assert.Contains("alpha", Assert.Throws<ArgumentException>(() =>
            CausalLMDistiller.Fit(new CausalLM(Shape(tok.VocabSize, 1, 8, 2, seed: 1)), hard, ids, Options(2, alpha: 0.5f))).Message);
    }

    [Fact]
    public void Same_seed_gives_the_same_student_at_any_thread_count_and_it_saves_and_loads()
    {
        var tok = CharTokenizer.Fit(Alphabet);
        var teacher = new TokenizedCausalLM(new CausalLM(Shape(tok.VocabSize, 2, 16, 2, seed: 2)), tok);
        var data = new CausalLMData(tok.Encode(MarkovText(3_000, seed: 4)), 16);
        float[][] weights = new float[2][];
        TokenizedCausalLM? last = null;
        int saved = Threading.MaxThreads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Threading.MaxThreads = threads;
                var student = CausalLMDistiller.CreateStudent(teacher, Shape(tok.VocabSize, 1, 16, 2, seed: 9));
                CausalLMDistiller.Distill(teacher, student, data.Train, data.Valid, Options(6, alpha: 0.7f, temperature: 2f, topK: 4));
                weights[threads - 1] = [.. student.Model.Parameters().SelectMany(p => p.ToArray())];
                last = student;
            }
        }
        finally
        {
            Threading.MaxThreads = saved;
        }
        Assert.Equal(weights[0], weights[1]);
        Assert.NotNull(last);

        var path = Path.Combine(Path.GetTempPath(), $"tinylm-lmdistill-{Environment.ProcessId}.tlm");
        try
        {
            last.Save(path);
            var loaded = CausalLMFile.Load(path);
            CausalLMDistiller.CheckCompatible(teacher, loaded);
            Assert.Equal(last.Model.Config, loaded.Model.Config);
            var x = new IntTensor(data.Valid[..16], 1, 16);
            using var noGrad = Tensor.NoGrad();
            Assert.Equal(last.Model.Forward(x).ToArray(), loaded.Model.Forward(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Distilled_student_beats_the_same_student_trained_without_the_teacher()
    {
        var (teacher, data) = TrainedTeacher();
        var evalBatches = new List<(IntTensor, IntTensor)>();
        var rng = new Rng(5);
        for (int i = 0; i < 10; i++) evalBatches.Add(data.Batch(data.Valid, 16, rng));
        double teacherLoss = CausalLMTrainer.MeanLoss(teacher.Model, evalBatches);

        var config = Shape(teacher.Model.Config.VocabSize, 1, 16, 2, seed: 4);
        var distilled = CausalLMDistiller.CreateStudent(teacher, config);
        var result = CausalLMDistiller.Distill(teacher, distilled, data.Train, data.Valid, Options(60, alpha: 0.9f, batch: 4, lr: 1e-2f));
        var alone = CausalLMDistiller.CreateStudent(teacher, config);
        CausalLMDistiller.Fit(alone.Model, CausalLMTransferSet.HardOnly(data.Train, 16, config.VocabSize), data.Valid, Options(60, alpha: 0f, batch: 4, lr: 1e-2f));

        double withTeacher = CausalLMTrainer.MeanLoss(distilled.Model, evalBatches), without = CausalLMTrainer.MeanLoss(alone.Model, evalBatches);
        Assert.True(result.TeacherSeconds > 0 && result.Windows == (data.Train.Length - 1) / 16);
        // Seeded: 1.2501 against 1.4750 nats (teacher ≈ 1.04, the chain's entropy ≈ 0.99).
        Assert.True(withTeacher < without - 0.1, $"teacher {teacherLoss:F4}, distilled {withTeacher:F4}, without teacher {without:F4}");
    }
}
