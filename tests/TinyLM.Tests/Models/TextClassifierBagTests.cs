using System.Text.Json;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Models;

/// <summary>The default bag recipe's parts: exact word bigrams, the naive Bayes head, lazy sparse Adam, the held-out choice.</summary>
[Collection("Serial")]
public class TextClassifierBagTests
{
    private static TextClassifierConfig Bag => new()
    {
        Encoder = EncoderKind.Bag, VocabSize = 100, MaxLength = 16, EmbedDim = 16, Pooling = PoolingKind.Mean, EmbedInitStd = 0.05f,
    };

    private static TrainOptions Quick => new() { Epochs = 12, BatchSize = 8, LearningRate = 2e-2f, Schedule = ScheduleKind.Linear };

    private static string TempModel() => Path.Combine(Path.GetTempPath(), $"tinylm-{Guid.NewGuid():N}.tlm");

    [Fact]
    public void Word_bigrams_are_appended_after_the_words_and_unknown_pairs_are_dropped()
    {
        var train = new TextDataset("t.tsv", [new("a b c", "x", 1), new("b c d", "y", 2)]);
        var model = TextClassifier.Create(Bag with { WordBigrams = true }, train.Examples);
        var index = model.Words!.WordIndex;
        Assert.True(index.ContainsKey("b c") && index.ContainsKey("a b") && index.ContainsKey("c d"));
        var ids = model.Inputs.Encode("a b c zz");
        // a b c <oov>, then the known pairs "a b" and "b c" ("c zz" was never seen).
        Assert.Equal([index["a"], index["b"], index["c"], 1, index["a b"], index["b c"]], ids);
        Assert.Equal(model.Tokenizer.VocabSize, model.Inputs.EmbeddingRows);
    }

    [Fact]
    public void Naive_bayes_head_matches_counting_by_hand()
    {
        var head = new NaiveBayesHead(rows: 4, classes: 2);
        // Class 0 texts use id 2 twice and id 3 once; class 1 uses id 3 twice. Id 1 is never seen.
        head.Fit([[2, 2, 3], [3, 3, 0]], [0, 1], alpha: 1f);
        var lp = head.LogProb.ToArray();
        // 2 rows seen (ids 2 and 3): class 0 has 3 tokens, class 1 has 2.
        Assert.Equal(Math.Log(3.0 / 5), lp[2 * 2 + 0], 5);
        Assert.Equal(Math.Log(2.0 / 5), lp[3 * 2 + 0], 5);
        Assert.Equal(Math.Log(1.0 / 4), lp[2 * 2 + 1], 5);
        Assert.Equal(Math.Log(3.0 / 4), lp[3 * 2 + 1], 5);
        Assert.Equal(0f, lp[0]);
        var batch = new PaddedBatch([2, 3, 0], [2], 3);
        var post = head.LogPosterior(batch);
        double s0 = Math.Log(2.0 / 4) + Math.Log(3.0 / 5) + Math.Log(2.0 / 5), s1 = Math.Log(2.0 / 4) + Math.Log(1.0 / 4) + Math.Log(3.0 / 4);
        double z = Math.Log(Math.Exp(s0) + Math.Exp(s1));
        Assert.Equal(s0 - z, post[0], 5);
        Assert.Equal(s1 - z, post[1], 5);
        // γ = 1 gives naive Bayes alone, γ = 0 the network's log-softmax.
        var logits = Tensor.FromArray([3f, 1f], 1, 2);
        Assert.Equal(post[0], head.Blend(logits, batch, 1f).ToArray()[0], 5);
        Assert.Equal(-Math.Log(1 + Math.Exp(-2)), head.Blend(logits, batch, 0f).ToArray()[0], 5);
    }

    [Fact]
    public void Lazy_sparse_adam_moves_only_the_rows_a_batch_looked_up_and_matches_dense_adam_on_them()
    {
        var train = ToyTopics.Make(48, seed: 7);
        var config = Bag with { WordBigrams = true };
        var dense = TextClassifier.Create(config, train.Examples);
        var sparse = TextClassifier.Create(config, train.Examples);
        var before = sparse.Embedding.Weight.ToArray();
        // One step (batch = the whole set) with clipping on: both optimizers see the same first step.
        var options = Quick with { Epochs = 1, BatchSize = 48, ClipNorm = 0.5f };
        new ClassifierTrainer(dense, options).Fit(train);
        new ClassifierTrainer(sparse, options with { Classifier = new() { SparseEmbeddingUpdates = true } }).Fit(train);
        var used = new HashSet<int>(sparse.Inputs.EncodeAll(train.Examples.Select(e => e.Text).ToArray()).SelectMany(x => x));
        var d = dense.Embedding.Weight.ToArray();
        var s = sparse.Embedding.Weight.ToArray();
        int dim = config.EmbedDim;
        for (int r = 0; r < sparse.Embedding.NumEmbeddings; r++)
            for (int j = 0; j < dim; j++)
            {
                int k = r * dim + j;
                if (used.Contains(r) && r != 0) Assert.Equal(d[k], s[k], 6);
                else Assert.Equal(before[k], s[k]);
            }
        Assert.Equal(dense.Parameters().Last().ToArray(), sparse.Parameters().Last().ToArray());
    }

    [Fact]
    public void Bag_with_bigrams_and_naive_bayes_learns_saves_and_loads_identically()
    {
        var train = ToyTopics.Make(240, seed: 1);
        var test = ToyTopics.Make(90, seed: 2);
        var model = TextClassifier.Create(Bag with { WordBigrams = true, NaiveBayesWeight = 0.5f }, train.Examples);
        model.Fit(train, options: Quick with { Classifier = new() { SparseEmbeddingUpdates = true } });
        Assert.True(model.Evaluate(test).Accuracy >= 0.9, $"accuracy {model.Evaluate(test).Accuracy:P1}");
        Assert.NotEqual(0f, model.NaiveBayes!.LogPrior.ToArray()[0]);
        var path = TempModel();
        try
        {
            model.Save(path);
            var loaded = TextClassifierFile.Load(path);
            var texts = test.Examples.Select(e => e.Text).ToArray();
            var expected = model.PredictProbabilities(texts);
            var actual = loaded.PredictProbabilities(texts);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
            Assert.True(loaded.Config.WordBigrams);
            Assert.Equal(0.5f, loaded.Config.NaiveBayesWeight);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_config_written_before_these_fields_existed_reads_with_their_old_defaults()
    {
        const string old = """{"encoder":"Bag","vocab_size":50000,"max_length":1000,"embed_dim":64,"hidden":64,"layers":1,"dropout":0.5,"pooling":"Mean","bigram_buckets":0,"kernel_widths":[3,4,5],"heads":4,"mlp_ratio":4,"multi_label":false,"seed":1}""";
        var config = JsonSerializer.Deserialize(old, ModelsJsonContext.Default.TextClassifierConfig)!;
        Assert.False(config.WordBigrams);
        Assert.Equal(0f, config.NaiveBayesWeight);
        Assert.Equal(0f, config.LinearSvmWeight);
        Assert.Null(config.EmbedInitStd);
        config.Validate();
    }

    [Fact]
    public void Auto_recipe_chooses_on_held_out_training_data_and_the_choice_learns()
    {
        var train = ToyTopics.Make(300, seed: 11);
        var choice = ClassifierAutoRecipe.Choose(train, Bag, Quick with { Classifier = new() { SparseEmbeddingUpdates = true } });
        // Per feature set: every (γ, λ < 1) pair, plus the SVM alone once.
        int perModel = ClassifierAutoRecipe.NaiveBayesWeights.Count * (ClassifierAutoRecipe.LinearSvmWeights.Count - 1) + 1;
        Assert.Equal(2 * perModel, choice.Candidates.Count);
        Assert.All(choice.Candidates, c => Assert.InRange(c.Accuracy, 0.0, 1.0));
        Assert.Contains(choice.Candidates, c => c.Bigrams == choice.Model.WordBigrams && c.NaiveBayesWeight == choice.Model.NaiveBayesWeight
                                                && c.LinearSvmWeight == choice.Model.LinearSvmWeight);
        Assert.Contains("held-out accuracy", choice.Summary);
        // The SVM alone needs no network: the recipe makes such a model SVM-only.
        Assert.Equal(choice.Model.LinearSvmWeight == 1f, choice.Model.SvmOnly);
        var model = TextClassifier.Create(choice.Model, train.Examples);
        model.Fit(train, options: choice.Training);
        Assert.True(model.Evaluate(ToyTopics.Make(90, seed: 12)).Accuracy >= 0.9);
    }

    [Fact]
    public void Bad_settings_are_refused_with_the_field_named()
    {
        Assert.Contains("exclusive", Assert.Throws<ArgumentException>(() => (Bag with { WordBigrams = true, BigramBuckets = 8 }).Validate()).Message);
        Assert.Contains("NaiveBayesWeight", Assert.Throws<ArgumentException>(() => (Bag with { NaiveBayesWeight = 1.5f }).Validate()).Message);
        Assert.Contains("sparse embedding updates", Assert.Throws<ArgumentException>(() => (Quick with { Classifier = new() { SparseEmbeddingUpdates = true }, Optimizer = OptimizerKind.Sgd }).Validate()).Message);
    }
}
