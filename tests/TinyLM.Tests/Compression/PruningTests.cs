using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Compression;

public sealed class PruningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-prune-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TextDataset Train = ToyTopics.Make(90, seed: 1);
    private static readonly string[] Texts = [.. ToyTopics.Make(20, seed: 2).Examples.Select(e => e.Text), "", "words nobody has seen"];

    private static TextClassifier Model(EncoderKind encoder, PoolingKind pooling = PoolingKind.Last, int layers = 1, int heads = 4) =>
        TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = encoder, Pooling = pooling, Layers = layers, EmbedDim = 16, Hidden = 12, VocabSize = 30, MaxLength = 14,
            KernelWidths = [2, 3], Heads = heads, MlpRatio = 2, Seed = 11,
        }, Train.Examples);

    private static float[] Logits(TextClassifier model, IReadOnlyList<string> texts)
    {
        using var noGrad = Tensor.NoGrad();
        using var scope = new TensorScope();
        model.Eval();
        return model.Forward(Batching.Pad(model.Inputs.EncodeAll(texts), [.. Enumerable.Range(0, texts.Count)])).ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"logit {i}: {expected[i]} vs {actual[i]}");
    }

    private static Dictionary<string, float[]> Snapshot(TextClassifier model) => model.NamedParameters().ToDictionary(p => p.Key, p => p.Value.ToArray());

    /// <summary>A copy of <paramref name="model"/> where every weight touching a removed index is zero.</summary>
    private static TextClassifier ZeroRemoved(TextClassifier model, StructuredPruner.PruningPlan plan)
    {
        var copy = new TextClassifier(model.Config, model.Tokenizer, model.Labels);
        var source = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, target) in copy.NamedParameters())
        {
            source[name].AsSpan().CopyTo(target.AsSpan());
            if (!plan.Keep.TryGetValue(name, out var keep)) continue;
            var shape = target.Shape.ToArray();
            var kept = keep.Select(k => k is null ? null : new HashSet<int>(k)).ToArray();
            var values = target.AsSpan();
            var position = new int[shape.Length];
            for (int i = 0; i < values.Length; i++)
            {
                for (int d = 0; d < shape.Length; d++)
                    if (kept[d] is { } set && !set.Contains(position[d])) values[i] = 0f;
                for (int d = shape.Length - 1; d >= 0 && ++position[d] == shape[d]; d--) position[d] = 0;
            }
        }
        return copy;
    }

    [Theory]
    [InlineData(EncoderKind.BiLstm, PoolingKind.Last, 1)]
    [InlineData(EncoderKind.BiLstm, PoolingKind.Max, 2)]
    [InlineData(EncoderKind.BiGru, PoolingKind.Last, 2)]
    [InlineData(EncoderKind.BiGru, PoolingKind.Mean, 1)]
    [InlineData(EncoderKind.Cnn, PoolingKind.Max, 1)]
    [InlineData(EncoderKind.Bag, PoolingKind.Mean, 1)]
    [InlineData(EncoderKind.Transformer, PoolingKind.Mean, 2)]
    public void Removing_neurons_equals_zeroing_them(EncoderKind encoder, PoolingKind pooling, int layers)
    {
        var model = Model(encoder, pooling, layers);
        var before = Snapshot(model);
        var parameters = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var plan = StructuredPruner.Plan(model, parameters, StructuredPruning.Neurons, 0.5, null);
        var pruned = StructuredPruner.Build(model, parameters, plan);

        AssertClose(Logits(ZeroRemoved(model, plan), Texts), Logits(pruned, Texts));
        Assert.True(pruned.ParameterCount() < model.ParameterCount());
        if (encoder == EncoderKind.Transformer) Assert.Equal(model.Config.ResolvedMlpHidden / 2, pruned.Config.ResolvedMlpHidden);
        else
        {
            Assert.Equal(8, pruned.Config.EmbedDim);
            if (encoder != EncoderKind.Bag) Assert.Equal(6, pruned.Config.Hidden);
        }
        foreach (var (name, values) in Snapshot(model)) Assert.Equal(before[name], values); // the input is untouched
    }

    [Fact]
    public void Removed_neurons_are_the_weakest_ones()
    {
        var model = Model(EncoderKind.BiLstm);
        var wih = model.NamedParameters().First(p => p.Key == "encoder.rnn.weight_ih_l0").Value;
        // Silence forward unit 3: all its gate rows. It must be among the removed units.
        for (int g = 0; g < 4; g++) wih.AsSpan().Slice((g * 12 + 3) * 16, 16).Clear();
        var whh = model.NamedParameters().First(p => p.Key == "encoder.rnn.weight_hh_l0").Value;
        for (int g = 0; g < 4; g++) whh.AsSpan().Slice((g * 12 + 3) * 12, 12).Clear();
        var parameters = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var plan = StructuredPruner.Plan(model, parameters, StructuredPruning.Neurons, 0.25, null);
        var rows = plan.Keep["encoder.rnn.weight_hh_l0"][1]!;
        Assert.Equal(9, rows.Length);
        Assert.DoesNotContain(3, rows);
        Assert.Equal(rows.Order(), rows);
    }

    [Theory]
    [InlineData(2, 0.5, 2)]
    [InlineData(1, 0.25, 3)]
    public void Removing_heads_equals_zeroing_them(int layers, double sparsity, int keptHeads)
    {
        var model = Model(EncoderKind.Transformer, PoolingKind.Mean, layers);
        var parameters = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var plan = StructuredPruner.Plan(model, parameters, StructuredPruning.Heads, sparsity, null);
        var pruned = StructuredPruner.Build(model, parameters, plan);
        Assert.Equal(keptHeads, pruned.Config.Heads);
        Assert.Equal(4, pruned.Config.HeadDim);
        AssertClose(Logits(ZeroRemoved(model, plan), Texts), Logits(pruned, Texts));

        // The smaller config survives a save/load round trip.
        string file = Path.Combine(_dir, "heads.tlm");
        pruned.Save(file);
        var loaded = TextClassifierFile.Load(file);
        Assert.Equal(pruned.Config.Heads, loaded.Config.Heads);
        Assert.Equal(Logits(pruned, Texts), Logits(loaded, Texts));
    }

    [Fact]
    public void Vocab_pruning_maps_the_rare_words_to_oov_and_nothing_else_changes()
    {
        var model = Model(EncoderKind.BiLstm);
        var corpus = Train.Examples.Select(e => e.Text).ToArray();
        var pruned = StructuredPruner.Prune(model, StructuredPruning.Vocab, 0.5, corpus);
        int words = model.Tokenizer.VocabSize - 2;
        Assert.Equal(2 + (int)Math.Round(words * 0.5, MidpointRounding.AwayFromZero), pruned.Tokenizer.VocabSize);
        Assert.Equal(pruned.Tokenizer.VocabSize, pruned.Embedding.Weight.Dim(0));

        // Kept words are the most frequent ones in the corpus.
        var counts = new Dictionary<string, int>();
        foreach (var text in corpus)
            foreach (var w in model.Words!.Tokenize(text))
                if (model.Words!.WordIndex.ContainsKey(w)) counts[w] = counts.GetValueOrDefault(w) + 1;
        int weakestKept = pruned.Words!.WordIndex.Keys.Where(w => w != "<oov>").Min(w => counts.GetValueOrDefault(w));
        int strongestRemoved = model.Words!.WordIndex.Keys.Where(w => w != "<oov>" && !pruned.Words!.WordIndex.ContainsKey(w))
            .Max(w => counts.GetValueOrDefault(w));
        Assert.True(weakestKept >= strongestRemoved, $"kept {weakestKept} < removed {strongestRemoved}");

        // The original model with removed words' embeddings replaced by the OOV row gives the pruned model's logits.
        var reference = new TextClassifier(model.Config, model.Tokenizer, model.Labels);
        var source = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, target) in reference.NamedParameters()) source[name].AsSpan().CopyTo(target.AsSpan());
        var table = reference.Embedding.Weight.AsSpan();
        int e = model.Config.EmbedDim;
        foreach (var (word, id) in model.Words!.WordIndex)
            if (id >= 2 && !pruned.Words!.WordIndex.ContainsKey(word)) table.Slice(e, e).CopyTo(table.Slice(id * e, e));
        AssertClose(Logits(reference, Texts), Logits(pruned, Texts));

        string file = Path.Combine(_dir, "vocab.tlm");
        pruned.Save(file);
        Assert.Equal(Logits(pruned, Texts), Logits(TextClassifierFile.Load(file), Texts));
    }

    [Fact]
    public void Not_applicable_kinds_and_bad_sparsity_are_refused()
    {
        var lstm = Model(EncoderKind.BiLstm);
        Assert.Contains("transformer", Assert.Throws<ArgumentException>(() => StructuredPruner.Prune(lstm, StructuredPruning.Heads, 0.5)).Message);
        var bigrams = TextClassifier.Create(new TextClassifierConfig { Encoder = EncoderKind.Bag, BigramBuckets = 50, VocabSize = 30 }, Train.Examples);
        Assert.Contains("bigram", Assert.Throws<ArgumentException>(() => StructuredPruner.Prune(bigrams, StructuredPruning.Vocab, 0.5)).Message);
        foreach (double s in new[] { 0.0, 1.0, -0.1, 1.5, double.NaN })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => StructuredPruner.Prune(lstm, StructuredPruning.Neurons, s));
            Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierPruner.Prune(lstm, new PruningOptions { Sparsity = s }));
        }
    }

    [Fact]
    public void Cubic_schedule_values()
    {
        var schedule = new PruningSchedule(0.5, start: 0, end: 100, frequency: 10);
        Assert.Equal(0.0, schedule.SparsityAt(0), 12);
        Assert.Equal(0.0, schedule.SparsityAt(9), 12);
        Assert.Equal(0.5 - 0.5 * Math.Pow(0.9, 3), schedule.SparsityAt(10), 12);
        Assert.Equal(0.5 - 0.5 * Math.Pow(0.5, 3), schedule.SparsityAt(55), 12);
        Assert.Equal(0.5, schedule.SparsityAt(100), 12);
        Assert.Equal(0.5, schedule.SparsityAt(10_000), 12);
        Assert.True(schedule.IsPruningStep(30) && !schedule.IsPruningStep(31) && !schedule.IsPruningStep(110));
        for (int t = 1; t < 120; t++) Assert.True(schedule.SparsityAt(t) >= schedule.SparsityAt(t - 1));

        var withInitial = new PruningSchedule(0.8, start: 20, end: 60, frequency: 20, initial: 0.2);
        Assert.Equal(0.0, withInitial.SparsityAt(19), 12);
        Assert.Equal(0.2, withInitial.SparsityAt(20), 12);
        Assert.Equal(0.8 - 0.6 * 0.125, withInitial.SparsityAt(40), 12);

        var run = PruningSchedule.ForRun(0.5, 300);
        Assert.Equal(0, run.Start);
        Assert.True(run.End <= 200 && run.End > 180);
        Assert.Equal(0.5, run.SparsityAt(run.End));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PruningSchedule(1.0, 0, 10, 1));
        Assert.Throws<ArgumentException>(() => new PruningSchedule(0.5, 10, 5, 1));
    }

    [Fact]
    public void Magnitude_pruning_removes_the_smallest_weights_and_masks_stay()
    {
        var model = Model(EncoderKind.BiLstm);
        var pruner = new MagnitudePruner(model);
        var wih = model.NamedParameters().First(p => p.Key == "encoder.rnn.weight_ih_l0").Value;
        var original = wih.ToArray();
        pruner.PruneTo(0.3);
        pruner.PruneTo(0.5);
        foreach (var name in pruner.Names)
        {
            var values = model.NamedParameters().First(p => p.Key == name).Value.ToArray();
            Assert.Equal(values.Length / 2, pruner.SparsityOf(name) * values.Length, 6);
            Assert.True(SparseTensors.CountZeros(values) >= values.Length / 2, name);
        }
        Assert.DoesNotContain(pruner.Names, n => n.Contains("bias", StringComparison.Ordinal));
        var now = wih.ToArray();
        float largestPruned = 0, smallestKept = float.MaxValue;
        for (int i = 0; i < now.Length; i++)
            if (now[i] == 0f) largestPruned = Math.Max(largestPruned, Math.Abs(original[i]));
            else smallestKept = Math.Min(smallestKept, Math.Abs(now[i]));
        Assert.True(largestPruned <= smallestKept, $"{largestPruned} > {smallestKept}");

        wih.AsSpan().Fill(1f); // an optimizer step revives everything…
        pruner.Apply();        // …and the masks put the pruned weights back to zero
        Assert.Equal(now.Select(v => v == 0f), wih.ToArray().Select(v => v == 0f));
    }

    [Fact]
    public void Sparse_file_round_trips_exactly_and_is_smaller()
    {
        var model = Model(EncoderKind.BiLstm);
        string dense = Path.Combine(_dir, "dense.tlm"), sparse = Path.Combine(_dir, "sparse.tlm");
        model.Save(dense);
        var pruned = ClassifierPruner.Prune(model, new PruningOptions { Sparsity = 0.5 }).Model;
        var wih = pruned.NamedParameters().First(p => p.Key == "encoder.rnn.weight_hh_l0").Value.AsSpan();
        int live = wih.IndexOfAnyExcept(0f);
        wih[live] = -0f; // sign of zero and odd values survive
        pruned.Save(sparse);
        var contents = ModelFile.Load(sparse);
        long sparseBytes = contents.Tensors.Sum(t => (long)t.Data.Length), denseBytes = ModelFile.Load(dense).Tensors.Sum(t => (long)t.Data.Length);
        Assert.True(sparseBytes < 0.56 * denseBytes, $"{sparseBytes} vs {denseBytes}"); // 4.125 of 8 bytes per weight pair, biases dense
        Assert.True(new FileInfo(sparse).Length < new FileInfo(dense).Length);
        Assert.True(contents.TryGetTensor("embedding.weight" + SparseTensors.MaskSuffix, out _));
        Assert.False(contents.TryGetTensor("embedding.weight", out _));
        Assert.True(contents.TryGetTensor("encoder.rnn.bias_ih_l0", out _)); // vectors stay dense

        var loaded = TextClassifierFile.Load(sparse);
        var expected = pruned.NamedParameters().ToDictionary(p => p.Key, p => p.Value.ToArray());
        foreach (var (name, tensor) in loaded.NamedParameters())
            Assert.Equal(expected[name].Select(BitConverter.SingleToInt32Bits), tensor.ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Sparse_loader_rejects_inconsistent_sizes()
    {
        var values = new float[] { 0, 1.5f, 0, 0, -2, 0, 0, 0, 0, 3 };
        var (mask, kept) = SparseTensors.Encode(values);
        Assert.Equal(2, mask.Length);
        Assert.Equal(new[] { 1.5f, -2, 3 }, kept);
        var back = new float[10];
        SparseTensors.Decode(mask, kept, back);
        Assert.Equal(values, back);
        Assert.Contains("3 non-zero", Assert.Throws<ArgumentException>(() => SparseTensors.Decode(mask, kept[..2], back)).Message);
        Assert.Contains("bytes", Assert.Throws<ArgumentException>(() => SparseTensors.Decode(mask[..1], kept, back)).Message);
        var stray = (byte[])mask.Clone();
        stray[1] |= 0x80;
        Assert.Contains("past element", Assert.Throws<ArgumentException>(() => SparseTensors.Decode(stray, [.. kept, 4f], back)).Message);

        var model = Model(EncoderKind.Bag);
        var pruned = ClassifierPruner.Prune(model, new PruningOptions { Sparsity = 0.5 }).Model;
        var contents = TextClassifierFile.ToContents(pruned);
        int index = contents.Tensors.FindIndex(t => t.Name == "embedding.weight" + SparseTensors.ValuesSuffix);
        var shortValues = contents.Tensors[index].ToFloatArray()[1..];
        contents.Tensors[index] = SafeTensor.FromFloats(contents.Tensors[index].Name, [shortValues.Length], shortValues);
        var error = Assert.Throws<ModelFormatException>(() => TextClassifierFile.FromContents(contents, "x.tlm"));
        Assert.Contains("embedding.weight", error.Message);
        Assert.Contains("x.tlm", error.Message);
    }

    [Fact]
    public void Fine_tuning_keeps_the_masks_and_the_input_model()
    {
        var model = Model(EncoderKind.Bag);
        model.Fit(Train, options: new TrainOptions { Epochs = 6, BatchSize = 16, LearningRate = 0.05f });
        var before = Snapshot(model);
        double accuracy = model.Evaluate(Train).Accuracy;

        var result = ClassifierPruner.Prune(model, new PruningOptions { Sparsity = 0.5, FineTuneData = Train, Epochs = 3, LearningRate = 0.02f });
        Assert.NotNull(result.FineTune);
        Assert.Equal(3, result.FineTune!.EpochsRun);
        var embedding = result.Model.Embedding.Weight.ToArray();
        Assert.True(SparseTensors.CountZeros(embedding) >= embedding.Length / 2);
        Assert.True(result.Model.Evaluate(Train).Accuracy >= accuracy - 0.1, $"{result.Model.Evaluate(Train).Accuracy} vs {accuracy}");
        foreach (var (name, values) in Snapshot(model)) Assert.Equal(before[name], values);

        var structured = ClassifierPruner.Prune(model, new PruningOptions
        {
            Sparsity = 0.5, Structured = StructuredPruning.Neurons, FineTuneData = Train, Epochs = 2, LearningRate = 0.02f,
        });
        Assert.Equal(8, structured.Model.Config.EmbedDim);
        Assert.True(structured.Model.Evaluate(Train).Accuracy > 0.6);
    }

    [Fact]
    public void Naive_bayes_tables_are_never_pruned_and_block_vocab_pruning()
    {
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, Pooling = PoolingKind.Mean, EmbedDim = 8, VocabSize = 30, MaxLength = 14, NaiveBayesWeight = 0.5f, Seed = 3,
        }, Train.Examples);
        var pruner = new MagnitudePruner(model);
        Assert.DoesNotContain(pruner.Names, n => n.StartsWith("nb.", StringComparison.Ordinal));
        Assert.Contains(pruner.Names, n => n.Contains("embedding", StringComparison.Ordinal));
        Assert.NotNull(StructuredPruner.NotApplicable(model.Config, StructuredPruning.Vocab));
        Assert.NotNull(StructuredPruner.NotApplicable(model.Config with { NaiveBayesWeight = 0, WordBigrams = true }, StructuredPruning.Vocab));
        Assert.Null(StructuredPruner.NotApplicable(model.Config with { NaiveBayesWeight = 0 }, StructuredPruning.Vocab));
    }
}
