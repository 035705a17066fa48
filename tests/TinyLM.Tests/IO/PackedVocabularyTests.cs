using System.Text.Json;
using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Text;
using TinyLM.Text;

namespace TinyLM.Tests.IO;

public class PackedVocabularyTests
{
    private static readonly string[] _words = ["grain", "wheat", "oil", "crude", "profit", "shares", "bank", "rate", "ship", "port", "trade", "deficit",
        "schön", "größe", "日本", "😀", "naïve", "über"];

    private static List<TextExample> Examples(int count, int seed)
    {
        var rng = new Random(seed);
        var list = new List<TextExample>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 3;
            var words = Enumerable.Range(0, 3 + rng.Next(9)).Select(_ => _words[(label * 5 + rng.Next(8)) % _words.Length]);
            list.Add(new TextExample(string.Join(' ', words), $"c{label}", i + 1));
        }
        return list;
    }

    private static TextClassifier Model(EncoderKind encoder = EncoderKind.Bag, bool wordBigrams = true) =>
        TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = encoder, EmbedDim = 16, Hidden = 16, VocabSize = 60, MaxLength = 12, WordBigrams = wordBigrams,
            NaiveBayesWeight = wordBigrams ? 0.3f : 0f, Pooling = PoolingKind.Mean, Seed = 3,
        }, Examples(90, 1));

    private static readonly string[] _texts = [.. Examples(20, 2).Select(e => e.Text), "", "unknown words only", "schön 😀 日本"];

    private static List<string> WordsOf(WordTokenizer t) => [.. Enumerable.Range(0, t.VocabSize).Select(t.IdToWord)];

    private static ModelFileContents Legacy(ModelFileContents c) => new()
    {
        Kind = c.Kind, FormatVersion = 1, ConfigJson = c.ConfigJson, TokenizerJson = c.TokenizerJson, Labels = c.Labels,
        Metadata = c.Metadata, Tensors = c.Tensors,
    };

    [Fact]
    public void Classifier_words_are_stored_as_a_packed_tensor_not_a_header_array()
    {
        using var dir = new TempDir();
        var model = Model();
        string path = Path.Combine(dir.Path, "m.tlm");
        model.Save(path);

        var raw = SafeTensorsFile.Read(path);
        Assert.Equal("2", raw.Metadata[ModelFile.VersionKey]);
        var packed = raw[PackedVocabulary.TensorName];
        Assert.Equal(SafeTensorDType.U8, packed.DType);
        using (var doc = JsonDocument.Parse(raw.Metadata[ModelFile.TokenizerKey]))
        {
            var placeholder = doc.RootElement.GetProperty("words");
            Assert.Equal(JsonValueKind.Object, placeholder.ValueKind);
            Assert.Equal(model.Tokenizer.VocabSize - 2, placeholder.GetProperty("count").GetInt32());
            Assert.Equal(PackedVocabulary.EncodingName, placeholder.GetProperty("encoding").GetString());
        }
        Assert.DoesNotContain("wheat", raw.Metadata[ModelFile.TokenizerKey]);

        // Callers of ModelFile see the tokenizer JSON with its word array and no extra tensor.
        var contents = ModelFile.Load(path);
        Assert.False(contents.TryGetTensor(PackedVocabulary.TensorName, out _));
        Assert.Equal(WordsOf(model.Words!), WordsOf(WordTokenizer.FromJson(contents.TokenizerJson)));

        var loaded = TextClassifierFile.Load(path);
        Assert.Equal(WordsOf(model.Words!), WordsOf(loaded.Words!));
        Assert.Contains(loaded.Words!.WordIndex.Keys, k => k.Contains(' ', StringComparison.Ordinal)); // bigram entries survive
        Assert.Equal(model.PredictProbabilities(_texts), loaded.PredictProbabilities(_texts));

        // Saving what was loaded gives the same bytes.
        string again = Path.Combine(dir.Path, "again.tlm");
        loaded.Save(again);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [Theory]
    [InlineData(EncoderKind.Bag, true)]
    [InlineData(EncoderKind.BiLstm, false)]
    public void Files_of_the_version_1_layout_still_load_with_identical_predictions(EncoderKind encoder, bool wordBigrams)
    {
        using var dir = new TempDir();
        var model = Model(encoder, wordBigrams);
        string oldPath = Path.Combine(dir.Path, "old.tlm"), newPath = Path.Combine(dir.Path, "new.tlm");
        ModelFile.Save(oldPath, Legacy(TextClassifierFile.ToContents(model)));
        model.Save(newPath);

        var raw = SafeTensorsFile.Read(oldPath);
        Assert.Equal("1", raw.Metadata[ModelFile.VersionKey]);
        Assert.False(raw.TryGetTensor(PackedVocabulary.TensorName, out _));
        using (var doc = JsonDocument.Parse(raw.Metadata[ModelFile.TokenizerKey]))
            Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("words").ValueKind);

        Assert.Equal(1, ModelFile.Load(oldPath).FormatVersion);
        var old = TextClassifierFile.Load(oldPath);
        Assert.Equal(WordsOf(model.Words!), WordsOf(old.Words!));
        Assert.Equal(model.PredictProbabilities(_texts), old.PredictProbabilities(_texts));
        Assert.Equal(old.PredictProbabilities(_texts), TextClassifierFile.Load(newPath).PredictProbabilities(_texts));
    }

    [Fact]
    public void A_quantized_file_packs_its_words_too_and_is_smaller_than_the_old_layout()
    {
        using var dir = new TempDir();
        var result = ClassifierQuantizer.Quantize(Model(), new QuantizationOptions { MaxLayerError = 1.0 });
        string oldPath = Path.Combine(dir.Path, "old.tlm"), newPath = Path.Combine(dir.Path, "new.tlm");
        ModelFile.Save(oldPath, Legacy(TextClassifierFile.ToContents(result.Model)));
        result.Model.Save(newPath);
        Assert.True(SafeTensorsFile.Read(newPath).TryGetTensor(PackedVocabulary.TensorName, out _));
        Assert.True(new FileInfo(newPath).Length < new FileInfo(oldPath).Length);
        var expected = result.Model.PredictProbabilities(_texts);
        Assert.Equal(expected, TextClassifierFile.Load(newPath).PredictProbabilities(_texts));
        Assert.Equal(expected, TextClassifierFile.Load(oldPath).PredictProbabilities(_texts));
    }

    [Fact]
    public void Word_lists_the_packing_cannot_hold_stay_a_json_array()
    {
        Assert.Null(PackedVocabulary.TryPack("{\"type\":\"word\",\"words\":[\"a\",\"b\\u0000c\"]}"));
        Assert.Null(PackedVocabulary.TryPack("{\"type\":\"word\",\"words\":[\"a\",\"\\ud800\"]}"));
        Assert.Null(PackedVocabulary.TryPack("{\"type\":\"word\",\"words\":[\"a\",1]}"));
        Assert.Null(PackedVocabulary.TryPack("{\"type\":\"char\",\"vocab\":[\"a\"]}"));

        using var dir = new TempDir();
        var tokenizer = new WordTokenizer(oovToken: "<oov>").WithWords(["a", "b\0c", "d"]);
        var contents = new ModelFileContents { Kind = ModelKind.Classifier, TokenizerJson = tokenizer.ToJson(), Labels = ["x", "y"] };
        string path = Path.Combine(dir.Path, "nul.tlm");
        ModelFile.Save(path, contents);
        Assert.False(SafeTensorsFile.Read(path).TryGetTensor(PackedVocabulary.TensorName, out _));
        Assert.Equal(WordsOf(tokenizer), WordsOf(WordTokenizer.FromJson(ModelFile.Load(path).TokenizerJson)));
    }

    [Fact]
    public void Empty_and_unicode_word_lists_round_trip()
    {
        foreach (string[] words in new[] { Array.Empty<string>(), ["日本語", "😀x", "a b", "\"quoted\"", "back\\slash", "tab\there"] })
        {
            string json = new WordTokenizer(oovToken: "<oov>").WithWords(words).ToJson();
            var (packedJson, tensor) = PackedVocabulary.TryPack(json)!.Value;
            Assert.True(PackedVocabulary.TryUnpack(packedJson, n => n == tensor.Name ? tensor : null, "mem", out string back, out string name));
            Assert.Equal(PackedVocabulary.TensorName, name);
            Assert.Equal(words, WordsOf(WordTokenizer.FromJson(back)).Skip(2));
        }
    }

    [Fact]
    public void Damaged_packed_words_fail_with_the_file_named()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "m.tlm");
        Model().Save(path);
        var good = SafeTensorsFile.Read(path);
        var packed = good[PackedVocabulary.TensorName];
        string tokenizerJson = good.Metadata[ModelFile.TokenizerKey];

        string Damage(string name, Func<SafeTensor, SafeTensor?> tensor, Func<string, string>? json = null)
        {
            var tensors = new List<SafeTensor>();
            foreach (var t in good.Tensors)
                if (t.Name != PackedVocabulary.TensorName) tensors.Add(t);
                else if (tensor(t) is { } replaced) tensors.Add(replaced);
            var metadata = new Dictionary<string, string>(good.Metadata);
            // Without the checksums (as in files written before them) the packed vocabulary's own checks are what fail.
            metadata.Remove(TensorIntegrity.ChecksumsKey);
            if (json is not null) metadata[ModelFile.TokenizerKey] = json(tokenizerJson);
            string p = Path.Combine(dir.Path, name);
            SafeTensorsFile.Write(p, tensors, metadata);
            return p;
        }

        SafeTensor Bytes(ReadOnlySpan<byte> data) => SafeTensor.FromBytes(PackedVocabulary.TensorName, [data.Length], data);
        var packedBytes = packed.Data.ToArray();
        var flipped = (byte[])packedBytes.Clone();
        flipped[flipped.Length / 2] ^= 0x5A;
        int count = Model().Tokenizer.VocabSize - 2;
        string countPattern = $"\"count\":{count}";
        var cases = new (string File, string Expect, string Path)[]
        {
            ("missing.tlm", "lacks", Damage("missing.tlm", _ => null)),
            ("short.tlm", "truncated", Damage("short.tlm", _ => Bytes(packedBytes.AsSpan(0, packedBytes.Length / 2)))),
            ("empty.tlm", "corrupt", Damage("empty.tlm", _ => Bytes([]))),
            ("flipped.tlm", "corrupt", Damage("flipped.tlm", _ => Bytes(flipped))),
            ("dtype.tlm", "U8 vector", Damage("dtype.tlm", t => new SafeTensor(t.Name, SafeTensorDType.I8, t.Shape, t.Data))),
            ("count.tlm", "terminator", Damage("count.tlm", t => t, j => j.Replace(countPattern, $"\"count\":{count + 1}", StringComparison.Ordinal))),
            ("fewer.tlm", "follow the last", Damage("fewer.tlm", t => t, j => j.Replace(countPattern, "\"count\":3", StringComparison.Ordinal))),
            ("bytes.tlm", "unpacks", Damage("bytes.tlm", t => t, j => j.Replace("\"bytes\":", "\"bytes\":1", StringComparison.Ordinal))),
            ("huge.tlm", "corrupt", Damage("huge.tlm", t => t, j => j.Replace("\"bytes\":", "\"bytes\":9999", StringComparison.Ordinal))),
            ("encoding.tlm", "encoding", Damage("encoding.tlm", t => t, j => j.Replace(PackedVocabulary.EncodingName, "brotli", StringComparison.Ordinal))),
            ("field.tlm", "unexpected field", Damage("field.tlm", t => t, j => j.Replace("\"count\":", "\"count\":\"x\",\"n\":", StringComparison.Ordinal))),
        };
        foreach (var (file, expect, p) in cases)
        {
            var e = Assert.Throws<ModelFormatException>(() => TextClassifierFile.Load(p));
            Assert.Contains(file, e.Message);
            Assert.Contains(expect, e.Message);
        }
    }

    [Fact]
    public void A_truncated_classifier_file_is_reported_at_every_cut()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "m.tlm");
        Model().Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        string cut = Path.Combine(dir.Path, "cut.tlm");
        for (int length = 0; length < bytes.Length; length += Math.Max(1, bytes.Length / 97))
        {
            File.WriteAllBytes(cut, bytes.AsSpan(0, length).ToArray());
            var e = Assert.Throws<ModelFormatException>(() => TextClassifierFile.Load(cut));
            Assert.Contains("cut.tlm", e.Message);
        }
    }
}
