using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Tests.Text;
using TinyLM.Text;

namespace TinyLM.Tests.Compression;

public class ClassifierQuantizerTests
{
    private static readonly string[] _words = ["grain", "wheat", "oil", "crude", "profit", "shares", "bank", "rate", "ship", "port", "trade", "deficit"];

    private static List<TextExample> Examples(int count, int seed)
    {
        var rng = new Random(seed);
        var list = new List<TextExample>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 3;
            var words = Enumerable.Range(0, 3 + rng.Next(9)).Select(_ => _words[(label * 4 + rng.Next(6)) % _words.Length]);
            list.Add(new TextExample(string.Join(' ', words), $"c{label}", i + 1));
        }
        return list;
    }

    private static TextClassifier Model(EncoderKind encoder, PoolingKind pooling = PoolingKind.Last, int layers = 1) =>
        TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = encoder, Pooling = pooling, Layers = layers, EmbedDim = 32, Hidden = 32, VocabSize = 40, MaxLength = 12,
            KernelWidths = [2, 3], Heads = 2, Seed = 7,
        }, Examples(60, 1));

    private static float[] Logits(TextClassifier model, IReadOnlyList<string> texts)
    {
        using var noGrad = Tensor.NoGrad();
        using var scope = new TensorScope();
        model.Eval();
        var batch = Batching.Pad(model.Inputs.EncodeAll(texts), [.. Enumerable.Range(0, texts.Count)]);
        return model.Forward(batch).ToArray();
    }

    // The same model with every quantized layer running from its float32 (dequantized) values.
    private static TextClassifier FloatCopy(TextClassifier model)
    {
        var copy = new TextClassifier(model.Config, model.Tokenizer, model.Labels);
        copy.LoadStateDict(model.StateDict());
        return copy;
    }

    internal static double RelativeError(float[] expected, float[] actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(expected[i] - actual[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        return Math.Sqrt(diff / norm);
    }

    private static readonly string[] _texts = [.. Examples(24, 2).Select(e => e.Text), "", "unknown words only"];

    [Theory]
    [InlineData(EncoderKind.BiLstm, PoolingKind.Last, 1)]
    [InlineData(EncoderKind.BiLstm, PoolingKind.Max, 2)]
    [InlineData(EncoderKind.BiLstm, PoolingKind.Mean, 2)]
    [InlineData(EncoderKind.BiGru, PoolingKind.Last, 1)]
    [InlineData(EncoderKind.BiGru, PoolingKind.Max, 2)]
    public void Quantized_kernel_on_float_weights_reproduces_the_recurrent_forward_pass(EncoderKind encoder, PoolingKind pooling, int layers)
    {
        var model = Model(encoder, pooling, layers);
        var expected = Logits(model, _texts);
        // One weight given as a FloatMatrix moves the whole LSTM onto the quantized kernel, with the same values.
        var w = model.NamedParameters().First(p => p.Key == "encoder.rnn.weight_ih_l0").Value;
        model.SetWeightFormat("encoder.rnn.weight_ih_l0", new FloatMatrix(w.ToArray(), w.Dim(0), w.Dim(1)));
        var actual = Logits(model, _texts);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"logit {i}: {expected[i]} vs {actual[i]}");
    }

    [Theory]
    [InlineData(EncoderKind.BiLstm, QuantizationType.Int8, 0.03)]
    [InlineData(EncoderKind.BiLstm, QuantizationType.Q8_0, 0.03)]
    [InlineData(EncoderKind.BiLstm, QuantizationType.Q4_0, 0.25)]
    [InlineData(EncoderKind.BiGru, QuantizationType.Int8, 0.03)]
    [InlineData(EncoderKind.BiGru, QuantizationType.Q8_0, 0.03)]
    [InlineData(EncoderKind.Bag, QuantizationType.Int8, 0.03)]
    [InlineData(EncoderKind.Cnn, QuantizationType.Int8, 0.03)]
    [InlineData(EncoderKind.Transformer, QuantizationType.Int8, 0.03)]
    public void Quantized_model_stays_close_and_the_input_is_untouched(EncoderKind encoder, QuantizationType type, double tolerance)
    {
        var model = Model(encoder);
        var before = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value.ToArray());
        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions { Type = type, MaxLayerError = 1.0 });
        Assert.Null(model.Quantization);
        Assert.Empty(model.NamedWeightFormats());
        foreach (var (name, p) in model.NamedParameters()) Assert.Equal(before[name], p.ToArray());
        Assert.Equal(type.ToName(), result.Model.Quantization);
        Assert.Equal(result.Layers.Where(l => l.Format != "f16").Select(l => l.Name), result.Model.NamedWeightFormats().Select(f => f.Key));
        Assert.All(result.Layers, l => Assert.NotEqual("f32", l.Format));
        double error = RelativeError(Logits(model, _texts), Logits(result.Model, _texts));
        Assert.True(error < tolerance, $"{encoder} {type}: relative logit error {error}");
        // The stored float weights are the dequantized ones, so the float path and the quantized one agree closely.
        Assert.True(RelativeError(Logits(FloatCopy(result.Model), _texts), Logits(result.Model, _texts)) < tolerance);
    }

    [Fact]
    public void Calibration_reports_each_layer_and_a_strict_threshold_keeps_layers_in_float32()
    {
        var model = Model(EncoderKind.BiLstm);
        var texts = _texts.Take(20).ToArray();
        var loose = ClassifierQuantizer.Quantize(model, new QuantizationOptions { CalibrationTexts = texts });
        Assert.True(loose.Calibrated);
        Assert.Equal(ClassifierQuantizer.QuantizableNames(model), loose.Layers.Select(l => l.Name));
        Assert.All(loose.Layers, l => Assert.True(l.Error is > 0 and < 0.05 && l.Agreement >= 0.9, $"{l.Name}: {l.Error} {l.Agreement}"));
        Assert.True(loose.ModelAgreement >= 0.9 && loose.ModelError < 0.05);

        var strict = ClassifierQuantizer.Quantize(model, new QuantizationOptions { CalibrationTexts = texts, MaxLayerError = 1e-9 });
        Assert.All(strict.Layers, l => Assert.Equal("f32", l.Format));
        Assert.All(strict.Layers, l => Assert.Contains("kept float32", l.Reason));
        Assert.Empty(strict.Model.NamedWeightFormats());
        Assert.Equal(Logits(model, _texts), Logits(strict.Model, _texts));
    }

    [Fact]
    public void Bad_input_is_rejected_clearly()
    {
        var model = Model(EncoderKind.BiLstm);
        var quantized = ClassifierQuantizer.Quantize(model, new QuantizationOptions()).Model;
        var again = Assert.Throws<InvalidOperationException>(() => ClassifierQuantizer.Quantize(quantized, new QuantizationOptions()));
        Assert.Contains("already quantized (int8)", again.Message);
        var empty = Assert.Throws<ArgumentException>(() => ClassifierQuantizer.Quantize(model, new QuantizationOptions { CalibrationTexts = ["", "  "] }));
        Assert.Contains("calibration", empty.Message);
    }

    [Theory]
    [InlineData(QuantizationType.Int8)]
    [InlineData(QuantizationType.Q8_0)]
    [InlineData(QuantizationType.Q4_0)]
    public void Saved_quantized_model_loads_with_its_engine_and_predicts_the_same(QuantizationType type)
    {
        using var dir = new TempDir();
        var model = Model(EncoderKind.BiLstm);
        string floatPath = Path.Combine(dir.Path, "f.tlm"), quantPath = Path.Combine(dir.Path, "q.tlm");
        model.Save(floatPath);
        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions { Type = type, MaxLayerError = 1.0 });
        result.Model.Save(quantPath);
        Assert.True(new FileInfo(quantPath).Length < new FileInfo(floatPath).Length);

        var loaded = TextClassifierFile.Load(quantPath);
        Assert.Equal(type.ToName(), loaded.Quantization);
        Assert.Equal(result.Model.NamedWeightFormats().Select(f => (f.Key, QuantizationTypeExtensions.TypeOf(f.Value))),
            loaded.NamedWeightFormats().Select(f => (f.Key, QuantizationTypeExtensions.TypeOf(f.Value))));
        Assert.Equal(result.Model.PredictProbabilities(_texts), loaded.PredictProbabilities(_texts));
        var contents = ModelFile.Load(quantPath);
        Assert.Contains(ModelFile.QuantizationKey, contents.Metadata.Keys);
        Assert.Equal(type == QuantizationType.Int8 ? SafeTensorDType.I8 : SafeTensorDType.U8, contents.GetTensor("embedding.weight").DType);
        Assert.Equal(SafeTensorDType.F32, contents.GetTensor("output.bias").DType);
        Assert.Throws<InvalidOperationException>(() => ClassifierQuantizer.Quantize(loaded, new QuantizationOptions()));
    }

    [Fact]
    public void Damaged_quantized_files_fail_with_the_file_and_tensor_named()
    {
        using var dir = new TempDir();
        var result = ClassifierQuantizer.Quantize(Model(EncoderKind.BiLstm), new QuantizationOptions());
        string path = Path.Combine(dir.Path, "q.tlm");
        result.Model.Save(path);
        var contents = ModelFile.Load(path);

        string Rewrite(string name, Action<ModelFileContents> damage)
        {
            var copy = new ModelFileContents
            {
                Kind = contents.Kind, ConfigJson = contents.ConfigJson, TokenizerJson = contents.TokenizerJson, Labels = contents.Labels,
                Metadata = new Dictionary<string, string>(contents.Metadata), Tensors = [.. contents.Tensors],
            };
            damage(copy);
            string p = Path.Combine(dir.Path, name);
            ModelFile.Save(p, copy);
            return p;
        }

        var noScale = Rewrite("noscale.tlm", c => c.Tensors.RemoveAll(t => t.Name == "output.weight.scale"));
        var e1 = Assert.Throws<ModelFormatException>(() => TextClassifierFile.Load(noScale));
        Assert.Contains("output.weight.scale", e1.Message);
        Assert.Contains("noscale.tlm", e1.Message);

        var badHeader = Rewrite("header.tlm", c => ((Dictionary<string, string>)c.Metadata)[ModelFile.QuantizationKey] = "{\"type\":\"int8\",\"tensors\":{\"output.bias\":\"int8\"}}");
        Assert.Contains("output.bias", Assert.Throws<ModelFormatException>(() => TextClassifierFile.Load(badHeader)).Message);

        var badScale = Rewrite("nan.tlm", c =>
        {
            c.Tensors.RemoveAll(t => t.Name == "output.weight.scale");
            c.AddFloats("output.weight.scale", [3], [1f, float.NaN, 1f]);
        });
        Assert.Contains("scale", Assert.Throws<ModelFormatException>(() => TextClassifierFile.Load(badScale)).Message);
    }
}
