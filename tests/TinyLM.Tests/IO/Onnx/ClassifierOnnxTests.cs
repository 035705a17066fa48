using Microsoft.ML.OnnxRuntime;
using TinyLM.IO;
using TinyLM.IO.Onnx;
using TinyLM.Models;
using TinyLM.Tests.IO.Llama;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;
using Xunit.Abstractions;

namespace TinyLM.Tests.IO.Onnx;

/// <summary>
/// Every encoder (and the naive Bayes / SVM mixture) exported and run in ONNX Runtime: its logits and probabilities
/// match ours within 1e-4 on a batch of texts of mixed lengths. Untrained weights are as good a test as trained
/// ones (the graph must reproduce whatever numbers are there) and keep the tests fast.
/// </summary>
public class ClassifierOnnxTests(ITestOutputHelper output)
{
    private static readonly TextDataset Train = ToyTopics.Make(60, seed: 11);

    public static TheoryData<string> Encoders() =>
    [
        "bag", "bag-bigram-buckets", "cnn", "cnn-one-width", "bilstm-last", "bilstm-max-2layers", "bigru-mean", "bigru-last-2layers",
        "transformer-mean", "transformer-first", "transformer-max-headdim",
    ];

    private static TextClassifierConfig Config(string name) => (name switch
    {
        "bag" => new TextClassifierConfig { Encoder = EncoderKind.Bag, Pooling = PoolingKind.Mean },
        "bag-bigram-buckets" => new() { Encoder = EncoderKind.Bag, Pooling = PoolingKind.Mean, BigramBuckets = 97 },
        "cnn" => new() { Encoder = EncoderKind.Cnn, KernelWidths = [2, 3, 5], Hidden = 6 },
        "cnn-one-width" => new() { Encoder = EncoderKind.Cnn, KernelWidths = [4], Hidden = 5 },
        "bilstm-last" => new() { Encoder = EncoderKind.BiLstm, Hidden = 7, Pooling = PoolingKind.Last },
        "bilstm-max-2layers" => new() { Encoder = EncoderKind.BiLstm, Hidden = 5, Layers = 2, Pooling = PoolingKind.Max },
        "bigru-mean" => new() { Encoder = EncoderKind.BiGru, Hidden = 6, Pooling = PoolingKind.Mean },
        "bigru-last-2layers" => new() { Encoder = EncoderKind.BiGru, Hidden = 5, Layers = 2, Pooling = PoolingKind.Last },
        "transformer-mean" => new() { Encoder = EncoderKind.Transformer, Hidden = 8, Heads = 2, Layers = 2, Pooling = PoolingKind.Mean },
        "transformer-first" => new() { Encoder = EncoderKind.Transformer, Hidden = 8, Heads = 2, Pooling = PoolingKind.Last },
        "transformer-max-headdim" => new() { Encoder = EncoderKind.Transformer, Hidden = 8, Heads = 2, HeadDim = 3, MlpHidden = 12, Pooling = PoolingKind.Max },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    }) with { VocabSize = 60, EmbedDim = 8, MaxLength = 40, Dropout = 0f, Seed = 5 };

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Every_encoder_runs_in_onnx_runtime_as_ours(string encoder)
    {
        var model = TextClassifier.Create(Config(encoder), Train.Examples);
        AssertParity(model, encoder);
    }

    [Theory]
    [InlineData(0.5f, 0f, false)]
    [InlineData(0f, 0.5f, false)]
    [InlineData(0.3f, 0.4f, false)]
    [InlineData(0f, 1f, false)]
    [InlineData(0f, 1f, true)]
    public void The_naive_Bayes_and_SVM_mixture_runs_in_onnx_runtime_as_ours(float nb, float svm, bool svmOnly)
    {
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, VocabSize = 60, MaxLength = 40, EmbedDim = 8, Pooling = PoolingKind.Mean, WordBigrams = true,
            NaiveBayesWeight = nb, LinearSvmWeight = svm, SvmOnly = svmOnly,
        }, Train.Examples);
        model.Fit(Train, options: new TrainOptions { Epochs = 1, BatchSize = 16 }); // fits the heads too
        Assert.True(model.Mixture.HasHeads);
        AssertParity(model, $"nb={nb} svm={svm} svmOnly={svmOnly}");
    }

    [Fact]
    public void A_multi_label_classifier_exports_sigmoid_probabilities()
    {
        var model = TextClassifier.Create(Config("bilstm-last") with { MultiLabel = true }, Train.Examples);
        AssertParity(model, "multi-label");
    }

    [Fact]
    public void A_wrong_weight_is_caught()
    {
        // The same comparison must fail when the file and the model disagree by one weight: export, then change the model.
        var model = TextClassifier.Create(Config("bilstm-last"), Train.Examples);
        using var dir = new ScratchDir();
        string path = dir.File("model.onnx");
        OnnxExport.Classifier(model, path);
        var batch = OnnxParity.Batch(model, OnnxParity.Texts(1));
        var onnx = OnnxParity.RunOnnx(path, batch);
        Assert.InRange(OnnxParity.MaxAbsDiff(onnx.Logits, OnnxParity.RunOurs(model, batch).Logits), 0f, OnnxParity.Tolerance);
        model.NamedParameters().Single(p => p.Key == "encoder.rnn.weight_hh_l0_reverse").Value.AsSpan()[3] += 1f;
        float diff = OnnxParity.MaxAbsDiff(onnx.Logits, OnnxParity.RunOurs(model, batch).Logits);
        output.WriteLine($"perturbed weight: max |Δlogit| = {diff:E2}");
        Assert.True(diff > OnnxParity.Tolerance, $"a changed weight went unnoticed (max diff {diff})");
    }

    [Fact]
    public void Metadata_carries_the_tokenizer_the_labels_and_the_config()
    {
        var model = TextClassifier.Create(Config("bag"), Train.Examples);
        using var dir = new ScratchDir();
        string path = dir.File("model.onnx");
        var result = OnnxExport.Classifier(model, path);
        Assert.Equal(["input_ids", "lengths"], result.Inputs);
        Assert.Equal(["logits", "probabilities"], result.Outputs);
        using var session = new InferenceSession(path);
        var map = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(model.Labels.Labels, System.Text.Json.JsonSerializer.Deserialize<string[]>(map["labels"]));
        var tokenizer = Tokenizers.FromJson(map["tokenizer"], path);
        Assert.Equal(model.Tokenizer.Encode("oil barrel zebra the"), tokenizer.Encode("oil barrel zebra the"));
        Assert.Equal("text-classifier", map["tinylm.kind"]);
        Assert.Contains("\"encoder\":\"Bag\"", map["tinylm.config"], StringComparison.Ordinal);
        // Dynamic axes: the graph's inputs name their batch and sequence dimensions instead of fixing them.
        Assert.Equal([-1, -1], session.InputMetadata["input_ids"].Dimensions);
    }

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    [InlineData(21)]
    public void Every_supported_opset_runs(int opset)
    {
        var model = TextClassifier.Create(Config("cnn"), Train.Examples);
        AssertParity(model, $"opset {opset}", opset);
    }

    [Fact]
    public void What_cannot_be_exported_fails_without_writing()
    {
        var model = TextClassifier.Create(Config("bag"), Train.Examples);
        using var dir = new ScratchDir();
        string path = dir.File("model.onnx");
        Assert.Throws<OnnxExportException>(() => OnnxExport.Classifier(model, path, opset: 16));
        Assert.Throws<OnnxExportException>(() => OnnxExport.Classifier(model, path, opset: 99));
        var quantized = TinyLM.Compression.ClassifierQuantizer.Quantize(model, new TinyLM.Compression.QuantizationOptions { MaxLayerError = double.PositiveInfinity }).Model;
        var error = Assert.Throws<OnnxExportException>(() => OnnxExport.Classifier(quantized, path));
        Assert.Contains("quantized", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    private void AssertParity(TextClassifier model, string what, int opset = OnnxExport.DefaultOpset)
    {
        using var dir = new ScratchDir();
        string path = dir.File("model.onnx");
        OnnxExport.Classifier(model, path, opset);
        var batch = OnnxParity.Batch(model, OnnxParity.Texts(2));
        var onnx = OnnxParity.RunOnnx(path, batch);
        var ours = OnnxParity.RunOurs(model, batch);
        float logits = OnnxParity.MaxAbsDiff(onnx.Logits, ours.Logits), probabilities = OnnxParity.MaxAbsDiff(onnx.Probabilities, ours.Probabilities);
        output.WriteLine($"{what}: B={batch.B} T={batch.T} max |Δlogit| = {logits:E2}, max |Δprob| = {probabilities:E2}");
        Assert.InRange(logits, 0f, OnnxParity.Tolerance);
        Assert.InRange(probabilities, 0f, OnnxParity.Tolerance);
    }
}
