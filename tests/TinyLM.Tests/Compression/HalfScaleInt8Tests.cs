using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tests.Text;
using TinyLM.Text;

namespace TinyLM.Tests.Compression;

public class HalfScaleInt8Tests
{
    private static float[] Random(int count, int seed, float magnitude)
    {
        var rng = new Random(seed);
        var w = new float[count];
        for (int i = 0; i < count; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * magnitude);
        return w;
    }

    [Theory]
    [InlineData(7, 5, 1f)]
    [InlineData(33, 67, 0.05f)]
    [InlineData(3, 130, 300f)]
    public void Scales_are_float16_values_and_the_error_stays_within_half_a_step(int rows, int cols, float magnitude)
    {
        var w = Random(rows * cols, rows + cols, magnitude);
        w.AsSpan(0, cols).Clear(); // an all-zero row (e.g. padding) keeps scale 0
        var m = HalfScaleInt8.Quantize(w, rows, cols);
        Assert.True(HalfScaleInt8.HasHalfScales(m));
        Assert.Equal(0f, m.Scales[0]);
        var exact = Int8Matrix.Quantize(w, rows, cols);
        var values = m.Values();
        var back = m.Dequantize();
        for (int r = 0; r < rows; r++)
        {
            float s = m.Scales[r];
            if (r > 0)
            {
                Assert.True(s >= exact.Scales[r], $"row {r}: scale {s} rounds below {exact.Scales[r]}");
                Assert.True(s <= exact.Scales[r] * (1 + 1.0 / 1024), $"row {r}: scale {s} is more than one float16 step above {exact.Scales[r]}");
            }
            for (int c = 0; c < cols; c++)
            {
                int i = r * cols + c;
                Assert.InRange(values[i], (sbyte)-127, (sbyte)127);
                Assert.True(Math.Abs(back[i] - w[i]) <= s * 0.5001, $"({r}, {c}): {back[i]} vs {w[i]}, scale {s}");
            }
        }
    }

    [Fact]
    public void Rows_outside_the_float16_range_keep_float32_scales()
    {
        var tiny = Random(2 * 8, 1, 1e-4f);
        Assert.False(HalfScaleInt8.HasHalfScales(HalfScaleInt8.Quantize(tiny, 2, 8)));
        var huge = Random(2 * 8, 2, 1e8f);
        var m = HalfScaleInt8.Quantize(huge, 2, 8);
        Assert.False(HalfScaleInt8.HasHalfScales(m));
        Assert.Equal(Int8Matrix.Quantize(huge, 2, 8).Scales, m.Scales);
    }

    private static TextClassifier Model(EncoderKind encoder, float naiveBayes = 0f)
    {
        var rng = new Random(5);
        string[] words = ["grain", "wheat", "oil", "crude", "profit", "shares", "bank", "rate", "ship", "port"];
        var examples = Enumerable.Range(0, 60).Select(i => new TextExample(
            string.Join(' ', Enumerable.Range(0, 3 + rng.Next(6)).Select(_ => words[(i % 3 * 3 + rng.Next(5)) % words.Length])), $"c{i % 3}", i + 1)).ToList();
        var model = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = encoder, EmbedDim = 16, Hidden = 16, VocabSize = 30, MaxLength = 10, Pooling = PoolingKind.Mean, Seed = 9,
            NaiveBayesWeight = naiveBayes, WordBigrams = naiveBayes > 0,
        }, examples);
        model.NaiveBayes?.Fit(model.Inputs.EncodeAll([.. examples.Select(e => e.Text)]), [.. examples.Select(e => model.Labels.IndexOf(e.Label))]);
        return model;
    }

    [Fact]
    public void Naive_bayes_tables_are_stored_as_float16_and_predictions_survive_the_file()
    {
        using var dir = new TempDir();
        var model = Model(EncoderKind.Bag, naiveBayes: 0.5f);
        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions { MaxLayerError = 1.0 });
        var report = Assert.Single(result.Layers, l => l.Name == "nb.log_prob");
        Assert.Equal("f16", report.Format);
        Assert.InRange(report.Error, 1e-9, 1e-3);
        Assert.True(HalfPrecision.IsExact(result.Model.NaiveBayes!.LogProb.AsSpan()));

        string path = Path.Combine(dir.Path, "nb.tlm"), floatPath = Path.Combine(dir.Path, "float.tlm");
        result.Model.Save(path);
        model.Save(floatPath);
        var contents = ModelFile.Load(path);
        Assert.Equal(SafeTensorDType.F16, contents.GetTensor("nb.log_prob").DType);
        Assert.Equal(SafeTensorDType.F16, contents.GetTensor("nb.log_prior").DType);
        Assert.Equal(SafeTensorDType.F32, ModelFile.Load(floatPath).GetTensor("nb.log_prob").DType); // float32 models keep float32

        string[] texts = ["grain wheat oil", "bank rate shares profit", "", "port ship crude crude", "oil oil bank"];
        var loaded = TextClassifierFile.Load(path);
        Assert.Equal(result.Model.PredictProbabilities(texts), loaded.PredictProbabilities(texts));
        Assert.Equal(model.Predict(texts), loaded.Predict(texts));
    }

    [Theory]
    [InlineData(EncoderKind.Bag)]
    [InlineData(EncoderKind.BiLstm)]
    public void Int8_files_store_float16_scales_and_load_to_identical_predictions(EncoderKind encoder)
    {
        using var dir = new TempDir();
        var result = ClassifierQuantizer.Quantize(Model(encoder), new QuantizationOptions { MaxLayerError = 1.0 });
        string path = Path.Combine(dir.Path, "q.tlm");
        result.Model.Save(path);
        var contents = ModelFile.Load(path);
        var layers = result.Model.NamedWeightFormats().Select(f => new QuantizedWeight(f.Key, QuantizationType.Int8, f.Value)).ToArray();
        Assert.NotEmpty(layers);
        foreach (var weight in layers)
        {
            var scale = contents.GetTensor(weight.Name + QuantizedTensors.ScaleSuffix);
            Assert.Equal(SafeTensorDType.F16, scale.DType);
            Assert.Equal(((Int8Matrix)weight.Matrix).Scales, scale.ToFloatArray());
            Assert.Equal((long)weight.Matrix.Rows * weight.Matrix.Cols + 2L * weight.Matrix.Rows, weight.StoredBytes);
        }
        string[] texts = ["grain wheat oil", "bank rate shares profit", "", "port ship crude crude"];
        var loaded = TextClassifierFile.Load(path);
        Assert.Equal(result.Model.PredictProbabilities(texts), loaded.PredictProbabilities(texts));

        // A file whose scales are float32 (as written before float16 scales) loads to the same model.
        var f32 = new ModelFileContents
        {
            Kind = contents.Kind, ConfigJson = contents.ConfigJson, TokenizerJson = contents.TokenizerJson, Labels = contents.Labels,
            Metadata = contents.Metadata, Tensors = [.. contents.Tensors.Select(t => t.Name.EndsWith(QuantizedTensors.ScaleSuffix, StringComparison.Ordinal)
                ? SafeTensor.FromFloats(t.Name, t.Shape, t.ToFloatArray()) : t)],
        };
        string f32Path = Path.Combine(dir.Path, "f32.tlm");
        ModelFile.Save(f32Path, f32);
        long saved = 2L * layers.Sum(w => w.Matrix.Rows);
        // ± the headers' digits and their padding to 8 bytes (the checksum entry moves where the padding falls)
        Assert.InRange(new FileInfo(f32Path).Length - new FileInfo(path).Length, saved - 8, saved + 32);
        Assert.Equal(result.Model.PredictProbabilities(texts), TextClassifierFile.Load(f32Path).PredictProbabilities(texts));
    }

    [Fact]
    public void Sparse_tables_of_float16_values_are_stored_as_f16_and_read_back_exactly()
    {
        var values = new float[6 * 4];
        for (int i = 0; i < values.Length; i += 3) values[i] = (float)(Half)(0.37f * i - 2.1f);
        var tensor = TinyLM.Tensors.Tensor.FromArray(values, 6, 4);
        var half = new ModelFileContents { Kind = ModelKind.Classifier };
        Assert.True(SparseTensors.TryAdd(half, "svm.weight", tensor, allowHalf: true));
        Assert.Equal(SafeTensorDType.F16, half.GetTensor("svm.weight" + SparseTensors.ValuesSuffix).DType);
        var plain = new ModelFileContents { Kind = ModelKind.Classifier };
        Assert.True(SparseTensors.TryAdd(plain, "svm.weight", tensor));
        Assert.Equal(SafeTensorDType.F32, plain.GetTensor("svm.weight" + SparseTensors.ValuesSuffix).DType);
        var other = (float[])values.Clone();
        other[1] = 0.1f; // not a float16 value: stays F32
        var inexact = new ModelFileContents { Kind = ModelKind.Classifier };
        Assert.True(SparseTensors.TryAdd(inexact, "svm.weight", TinyLM.Tensors.Tensor.FromArray(other, 6, 4), allowHalf: true));
        Assert.Equal(SafeTensorDType.F32, inexact.GetTensor("svm.weight" + SparseTensors.ValuesSuffix).DType);

        foreach (var contents in new[] { half, plain })
        {
            var into = TinyLM.Tensors.Tensor.Zeros(6, 4);
            Assert.True(SparseTensors.TryLoad(contents, "mem", "svm.weight", into));
            Assert.Equal(tensor.ToArray(), into.ToArray());
        }
    }
}
