using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Tensors;
using TinyLM.Tests.Text;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Models;

public class Seq2SeqTests
{
    private static readonly ByteBpeTokenizer Bytes = ByteBpeTokenizer.BytesOnly();

    private static Seq2SeqModel Tiny(Seq2SeqArch arch, RnnAttention attention = RnnAttention.Dot, ulong seed = 5, bool inputFeeding = false) =>
        Seq2SeqModel.Create(Seq2SeqConfig.Tiny with
        {
            Arch = arch, Attention = attention, Seed = seed, Hidden = arch == Seq2SeqArch.Rnn ? 16 : 32, InputFeeding = inputFeeding,
        }, Bytes, Bytes);

    private static PaddedBatch Pad(params int[][] rows) => Batching.Pad(rows, Enumerable.Range(0, rows.Length).ToArray());

    private static void Randomize(Seq2SeqModel model, ulong seed)
    {
        var rng = new Rng(seed);
        foreach (var p in model.Parameters()) rng.Normal(p.AsSpan(), 0f, 0.3f);
    }

    [Theory]
    [InlineData(Seq2SeqArch.Transformer, RnnAttention.Dot, true)]
    [InlineData(Seq2SeqArch.Rnn, RnnAttention.Dot, true)]
    [InlineData(Seq2SeqArch.Rnn, RnnAttention.Dot, false)]
    [InlineData(Seq2SeqArch.Rnn, RnnAttention.Additive, true)]
    public void Step_decoding_equals_teacher_forced_logits(Seq2SeqArch arch, RnnAttention attention, bool inputFeeding)
    {
        var model = Tiny(arch, attention, inputFeeding: inputFeeding);
        Randomize(model, 7);
        model.Eval();
        var source = Pad([100, 101, 102, 2], [103, 2]);
        var targetIn = Pad([1, 110, 111, 112], [1, 113, 114, 115]);
        float[] full;
        using (Tensor.NoGrad()) full = model.Logits(source, targetIn).ToArray(); // (2, 4, V)
        int v = model.TargetTokenizer.VocabSize;
        var state = model.Start(source, 1, 8);
        for (int t = 0; t < 4; t++)
        {
            var step = model.Step(state, [targetIn.Ids[t], targetIn.Ids[4 + t]]).ToArray(); // (2, V)
            for (int b = 0; b < 2; b++)
                for (int j = 0; j < v; j++)
                    Assert.Equal(full[(b * 4 + t) * v + j], step[b * v + j], 3);
        }
    }

    [Theory]
    [InlineData(RnnAttention.Dot, true)]
    [InlineData(RnnAttention.Dot, false)]
    [InlineData(RnnAttention.Additive, true)]
    public void Rnn_attention_gradients(RnnAttention attention, bool inputFeeding)
    {
        var model = Seq2SeqModel.Create(Seq2SeqConfig.Tiny with { Arch = Seq2SeqArch.Rnn, Attention = attention, EmbedDim = 3, Hidden = 4, InputFeeding = inputFeeding }, Bytes, Bytes);
        var source = Pad([100, 101, 2], [103, 2]);
        var targetIn = Pad([1, 110, 111], [1, 113]);
        var checkedParams = model.NamedParameters()
            .Where(p => p.Key.StartsWith("attn_", StringComparison.Ordinal) || p.Key.StartsWith("combine", StringComparison.Ordinal)
                        || p.Key.StartsWith("memory_proj", StringComparison.Ordinal) || p.Key.StartsWith("bridge", StringComparison.Ordinal)
                        || p.Key.StartsWith("encoder.", StringComparison.Ordinal) || p.Key.StartsWith("decoder.", StringComparison.Ordinal))
            .Select(p => p.Value).ToArray();
        Assert.NotEmpty(checkedParams);
        // Only a slice of the logits feeds the probe, so the 259-way output layer stays cheap.
        GradCheck.Check(_ => model.Logits(source, targetIn).Narrow(2, 100, 16), checkedParams);
    }

    [Theory]
    [InlineData(Seq2SeqArch.Transformer)]
    [InlineData(Seq2SeqArch.Rnn)]
    public void Beam_width_one_equals_greedy_and_wider_beams_run(Seq2SeqArch arch)
    {
        var model = Tiny(arch);
        Randomize(model, 9);
        var sources = new[] { new[] { 100, 101, 2 }, new[] { 120, 2 }, new[] { 130, 131, 132, 133, 2 } };
        var greedy = Seq2SeqSearch.Decode(model, sources, new SearchOptions { Beam = 1, BatchSize = 2 });
        var beam1 = Seq2SeqSearch.Decode(model, sources, new SearchOptions { Beam = 1 }); // other batching
        var forced = Seq2SeqSearch.BeamSearch(model, sources, new SearchOptions { Beam = 1, BatchSize = 3 });
        for (int i = 0; i < sources.Length; i++)
        {
            Assert.Equal(greedy[i], beam1[i]);
            Assert.Equal(greedy[i], forced[i]);
        }
        var wide = Seq2SeqSearch.Decode(model, sources, new SearchOptions { Beam = 4, BatchSize = 2 });
        Assert.Equal(3, wide.Length);
        foreach (var w in wide) Assert.True(w.Length <= 5 * 3 / 2 + 10 + 1);
    }

    [Fact]
    public void Transformer_learns_to_reverse_letter_strings() => LearnsToReverse(Seq2SeqArch.Transformer);

    // Without the LayerNorm in h̃ = tanh(LN(W_c [h; c])) this model sat at the unigram loss (≈ 2.1) for all 30 epochs:
    // Adam pushed the combine layer's tanh into saturation before the attention had aligned.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rnn_learns_to_reverse_letter_strings(bool inputFeeding) => LearnsToReverse(Seq2SeqArch.Rnn, inputFeeding);

    private static void LearnsToReverse(Seq2SeqArch arch, bool inputFeeding = false)
    {
        var rng = new Random(3);
        string Word()
        {
            var chars = new char[3 + rng.Next(4)];
            for (int i = 0; i < chars.Length; i++) chars[i] = (char)('a' + rng.Next(8));
            return new string(chars);
        }
        var pairs = new List<SentencePair>();
        for (int i = 0; i < 1200; i++) { var w = Word(); pairs.Add(new SentencePair(w, new string(w.Reverse().ToArray()), i + 1)); }
        var train = new ParallelCorpus("reverse", pairs);
        var config = Seq2SeqConfig.Tiny with { Arch = arch, InputFeeding = inputFeeding, EmbedDim = 32, Hidden = arch == Seq2SeqArch.Rnn ? 48 : 64, Heads = 2, Layers = 1 };
        var model = Seq2SeqModel.Create(config, Bytes, Bytes);
        var options = TrainOptions.ForSeq2Seq with { Epochs = 30, LearningRate = 3e-3f, MinLearningRate = 0.05f * 3e-3f, WarmupSteps = 50, LabelSmoothing = 0f, Seq2Seq = new() { BatchTokens = 256 } };
        var result = new Seq2SeqTrainer(model, options).Fit(train);
        Assert.True(result.Steps > 0);
        var tests = Enumerable.Range(0, 100).Select(_ => Word()).ToArray();
        var outputs = Seq2SeqSearch.Translate(model, tests);
        int correct = tests.Where((w, i) => outputs[i] == new string(w.Reverse().ToArray())).Count();
        Assert.True(correct >= 90, $"{correct}/100 reversed correctly; e.g. {tests[0]} → {outputs[0]}; train loss {result.FinalTrainLoss:F3} after {result.Steps} steps");
    }

    [Theory]
    [InlineData(Seq2SeqArch.Transformer, true)]
    [InlineData(Seq2SeqArch.Rnn, false)]
    public void Save_and_load_round_trip(Seq2SeqArch arch, bool shared)
    {
        using var dir = new TempDir();
        var corpus = new ParallelCorpus("toy", [new("ein Hund läuft", "a dog runs", 1), new("eine Katze schläft", "a cat sleeps", 2)]);
        var model = Seq2SeqModel.Create(Seq2SeqConfig.Tiny with { Arch = arch, SharedVocab = shared }, corpus);
        Randomize(model, 11);
        string path = Path.Combine(dir.Path, "m.tlm");
        model.Save(path);
        var loaded = Seq2SeqFile.Load(path);
        Assert.Equal(model.Config, loaded.Config with { });
        Assert.Equal(model.TargetTokenizer.ToJson(), loaded.TargetTokenizer.ToJson());
        Assert.Equal(shared, ReferenceEquals(loaded.SourceTokenizer, loaded.TargetTokenizer));
        foreach (var ((n1, p1), (n2, p2)) in model.NamedParameters().Zip(loaded.NamedParameters()))
        {
            Assert.Equal(n1, n2);
            Assert.Equal(p1.ToArray(), p2.ToArray());
        }
        string[] texts = ["ein Hund schläft", "eine Katze"];
        Assert.Equal(Seq2SeqSearch.Translate(model, texts, new SearchOptions { Beam = 3 }), Seq2SeqSearch.Translate(loaded, texts, new SearchOptions { Beam = 3 }));
    }

    [Fact]
    public void Bad_input_is_reported_with_file_and_line()
    {
        using var dir = new TempDir();
        var src = dir.File("a.de", "eins\nzwei\ndrei\n");
        var tgt = dir.File("a.en", "one\ntwo\n");
        var e1 = Assert.Throws<DataFormatException>(() => ParallelCorpus.Read(src, tgt));
        Assert.Contains("a.de", e1.Message);
        Assert.Contains("3 lines", e1.Message);
        var empty = dir.File("b.en", "one\n\nthree\n");
        var e2 = Assert.Throws<DataFormatException>(() => ParallelCorpus.Read(src, empty));
        Assert.Contains("b.en:2", e2.Message);

        var model = Tiny(Seq2SeqArch.Transformer);
        var corpus = new ParallelCorpus("valid.tsv", [new("kurz", "short", 1), new(new string('x', 400), "long", 2)]);
        var e3 = Assert.Throws<DataFormatException>(() => Seq2SeqData.Encode(model, corpus, 256, filter: false));
        Assert.Contains("valid.tsv:2", e3.Message);
        var kept = Seq2SeqData.Encode(model, corpus, 256, filter: true);
        Assert.Equal(1, kept.Count);
        Assert.Equal(1, kept.Filtered);
        Assert.Throws<ArgumentException>(() => Seq2SeqSearch.Translate(model, [new string('y', 300)]));

        // A model file of another task.
        string path = Path.Combine(dir.Path, "other.tlm");
        var contents = new ModelFileContents { Kind = ModelKind.Classifier };
        contents.AddFloats("w", [1], [1f]);
        ModelFile.Save(path, contents);
        var e4 = Assert.Throws<ModelFormatException>(() => Seq2SeqFile.Load(path));
        Assert.Contains("other.tlm", e4.Message);
        Assert.Contains("not a translation", e4.Message);
    }

    [Fact]
    public void Token_batches_respect_the_budget_and_cover_every_pair()
    {
        var lengths = Enumerable.Range(0, 500).Select(i => 1 + (i * 37) % 41).ToArray();
        var batches = TokenBatching.ByTokens(lengths, 200, 9);
        var seen = new bool[lengths.Length];
        foreach (var b in batches)
        {
            int longest = b.Max(i => lengths[i]);
            Assert.True(longest * b.Length <= 200 || b.Length == 1);
            foreach (int i in b) { Assert.False(seen[i]); seen[i] = true; }
        }
        Assert.All(seen, Assert.True);
        Assert.Equal(batches.Select(b => b.ToArray()), TokenBatching.ByTokens(lengths, 200, 9).Select(b => b.ToArray()));
    }
}
