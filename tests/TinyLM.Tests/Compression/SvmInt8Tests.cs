using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Cli;
using TinyLM.Tests.IO.Llama;
using TinyLM.Tests.Models;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Tests.Compression;

/// <summary>The linear SVM head's weight stored as int8 (<see cref="Int8Table"/>): values, scores, file, report.</summary>
[Collection("Serial")]
public class SvmInt8Tests
{
    private static float[] Random(int count, int seed, float magnitude)
    {
        var rng = new Random(seed);
        var w = new float[count];
        for (int i = 0; i < count; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * magnitude * (rng.NextDouble() < 0.1 ? 8 : 1));
        return w;
    }

    [Theory]
    [InlineData(37, 3, true)]
    [InlineData(37, 3, false)]
    [InlineData(5, 11, true)]
    [InlineData(129, 8, false)]
    public void Values_stay_within_half_a_step_of_a_float64_reference(int rows, int cols, bool perColumn)
    {
        var w = Random(rows * cols, rows * cols, 0.3f);
        for (int r = 0; r < rows; r++) w[r * cols] = perColumn ? 0f : w[r * cols]; // an all-zero column keeps scale 0
        w.AsSpan(0, cols).Clear(); // and an all-zero row
        var table = Int8Table.Quantize(w, rows, cols, perColumn);
        Assert.Equal(perColumn ? cols : rows, table.Scales.Length);
        Assert.True(table.HasHalfScales);
        var back = new float[w.Length];
        table.Dequantize(back);
        for (int k = 0; k < table.Scales.Length; k++)
        {
            double max = 0;
            for (int i = 0; i < w.Length; i++)
                if ((perColumn ? i % cols : i / cols) == k) max = Math.Max(max, Math.Abs((double)w[i]));
            double s = table.Scales[k];
            Assert.True(s >= max / 127 && s <= max / 127 * (1 + 1.0 / 1024) + 1e-30, $"scale {k}: {s} for max {max}");
        }
        for (int i = 0; i < w.Length; i++)
        {
            double s = table.Scales[perColumn ? i % cols : i / cols];
            Assert.InRange(table.Values[i], -127, 127);
            Assert.True(Math.Abs((double)back[i] - w[i]) <= s / 2 * (1 + 1e-6), $"element {i}: {back[i]} vs {w[i]} (scale {s})");
            Assert.Equal((float)(table.Values[i] * s), back[i]);
        }
        Assert.Equal(0f, table.Scales[0]); // the zero column (per column) or row (per row)
    }

    [Fact]
    public void Bad_sizes_are_refused_with_the_shapes_named()
    {
        Assert.Contains("(3, 2)", Assert.Throws<ArgumentException>(() => Int8Table.Quantize(new float[5], 3, 2, true)).Message);
        Assert.Contains("2 scales for 3 rows", Assert.Throws<ArgumentException>(() => Int8Table.FromQuantized(new sbyte[6], new float[2], 3, 2, false)).Message);
        Assert.Contains("not finite", Assert.Throws<ArgumentException>(() => Int8Table.Quantize([1f, float.NaN], 1, 2, true)).Message);
    }

    private static readonly TextClassifierConfig _bag = new()
    {
        Encoder = EncoderKind.Bag, VocabSize = 100, MaxLength = 16, EmbedDim = 16, Pooling = PoolingKind.Mean, EmbedInitStd = 0.05f,
        WordBigrams = true, LinearSvmWeight = 1f,
    };

    private static TextClassifier Trained(float svmWeight = 1f, int embedDim = 16)
    {
        var model = TextClassifier.Create(_bag with { LinearSvmWeight = svmWeight, EmbedDim = embedDim }, ToyTopics.Make(240, seed: 1).Examples);
        model.Fit(ToyTopics.Make(240, seed: 1), options: new TrainOptions { Epochs = 2, BatchSize = 8, LearningRate = 2e-2f, Classifier = new() { SparseEmbeddingUpdates = true } });
        return model;
    }

    private static float[] Scores(LinearSvmHead svm, IReadOnlyList<int[]> ids) =>
        [.. Batching.Sequential(ids.Count, 16).SelectMany(indices => svm.Scores(Batching.Pad(ids, indices)))];

    private static double RelativeError(float[] expected, float[] actual) => ClassifierQuantizerTests.RelativeError(expected, actual);

    [Theory]
    [InlineData(true, 0.03)]
    [InlineData(false, 0.005)]
    public void Quantized_svm_scores_stay_close_and_accuracy_is_unchanged(bool perClass, double tolerance)
    {
        var model = Trained();
        var test = ToyTopics.Make(90, seed: 2);
        var calibration = ToyTopics.Make(40, seed: 3).Examples.Select(e => e.Text).ToArray();
        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions { CalibrationTexts = calibration, SvmScalePerClass = perClass });
        var table = Assert.IsType<Int8Table>(result.Model.LinearSvm!.QuantizedWeight);
        Assert.Equal(perClass, table.PerColumn);
        var row = Assert.Single(result.Layers, l => l.Name == ClassifierQuantizer.SvmWeightName);
        Assert.Equal("int8", row.Format);
        Assert.True(row.Error is > 0 and < 0.05 && row.Agreement == 1.0, $"{row.Error} {row.Agreement}");
        Assert.Equal(result.ModelError, row.Error, 1e-2);

        // The head scores with the dequantized table, and its margins stay within the tolerance of the float head.
        var expectedWeight = new float[table.Values.Length];
        table.Dequantize(expectedWeight);
        Assert.Equal(expectedWeight, result.Model.LinearSvm!.Weight.ToArray());
        var ids = model.Inputs.EncodeAll(test.Examples.Select(e => e.Text).ToArray());
        double error = RelativeError(Scores(model.LinearSvm!, ids), Scores(result.Model.LinearSvm, ids));
        Assert.True(error > 0 && error < tolerance, $"relative margin error {error}");
        Assert.Equal(model.Evaluate(test).Accuracy, result.Model.Evaluate(test).Accuracy);
        Assert.Equal(model.Predict([.. test.Examples.Select(e => e.Text)]), result.Model.Predict([.. test.Examples.Select(e => e.Text)]));
    }

    [Fact]
    public void Layers_too_narrow_for_int8_to_pay_are_stored_as_float16()
    {
        // The 1-wide bag that SVM-alone models carried before they could be SVM-only (older files hold it): int8 plus a
        // per-row scale would take 3–5 bytes per value, float16 takes 2.
        var model = Trained(embedDim: 1);
        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions());
        var embedding = Assert.Single(result.Layers, l => l.Name == "embedding.weight");
        Assert.Equal("f16", embedding.Format);
        Assert.True(embedding.Error is > 0 and < 1e-3, $"float16 rounding error {embedding.Error}");
        Assert.DoesNotContain(result.Model.NamedWeightFormats(), f => f.Key == "embedding.weight");
        var path = Path.Combine(Path.GetTempPath(), $"tinylm-{Guid.NewGuid():N}.tlm");
        try
        {
            result.Model.Save(path);
            Assert.True(ModelFile.Load(path).TryGetTensor("embedding.weight", out var stored));
            Assert.Equal(SafeTensorDType.F16, stored.DType);
            var texts = ToyTopics.Make(30, seed: 4).Examples.Select(e => e.Text).ToArray();
            var expected = result.Model.PredictProbabilities(texts);
            var actual = TextClassifierFile.Load(path).PredictProbabilities(texts);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(true, 1f)]
    [InlineData(false, 1f)]
    [InlineData(true, 0.5f)]
    public void The_int8_table_round_trips_through_the_file(bool perClass, float svmWeight)
    {
        var model = Trained(svmWeight);
        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions { SvmScalePerClass = perClass });
        var path = Path.Combine(Path.GetTempPath(), $"tinylm-{Guid.NewGuid():N}.tlm");
        try
        {
            result.Model.Save(path);
            var contents = ModelFile.Load(path);
            Assert.Contains("\"svm.weight\":\"int8\"", contents.Metadata[ModelFile.QuantizationKey], StringComparison.Ordinal);
            Assert.True(contents.TryGetTensor("svm.weight.scale", out var scale));
            Assert.Equal(perClass ? 2 : 1, scale.Shape.Length);
            var loaded = TextClassifierFile.Load(path);
            var table = Assert.IsType<Int8Table>(loaded.LinearSvm!.QuantizedWeight);
            var saved = Assert.IsType<Int8Table>(result.Model.LinearSvm!.QuantizedWeight);
            Assert.Equal(saved.Values, table.Values);
            Assert.Equal(saved.Scales, table.Scales);
            Assert.Equal(perClass, table.PerColumn);
            Assert.Equal(result.Model.LinearSvm!.Weight.ToArray(), loaded.LinearSvm!.Weight.ToArray());
            var texts = ToyTopics.Make(30, seed: 4).Examples.Select(e => e.Text).ToArray();
            var expected = result.Model.PredictProbabilities(texts);
            var actual = loaded.PredictProbabilities(texts);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_file_with_a_float16_svm_weight_still_loads()
    {
        // What quantized files held before the int8 SVM table: no svm.weight in the header, its values F16.
        var model = Trained();
        var result = ClassifierQuantizer.Quantize(model, new QuantizationOptions());
        var half = model.LinearSvm!.Weight.ToArray().Select(v => (float)(Half)v).ToArray();
        half.CopyTo(result.Model.LinearSvm!.Weight.AsSpan());
        result.Model.SetWeightFormat(ClassifierQuantizer.SvmWeightName, null);
        var path = Path.Combine(Path.GetTempPath(), $"tinylm-{Guid.NewGuid():N}.tlm");
        try
        {
            result.Model.Save(path);
            var contents = ModelFile.Load(path);
            Assert.DoesNotContain("svm.weight", contents.Metadata[ModelFile.QuantizationKey], StringComparison.Ordinal);
            var loaded = TextClassifierFile.Load(path);
            Assert.Equal("int8", loaded.Quantization);
            Assert.Null(loaded.LinearSvm!.QuantizedWeight);
            Assert.Equal(half, loaded.LinearSvm!.Weight.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_scale_of_the_wrong_shape_is_a_format_error_naming_the_tensor()
    {
        var result = ClassifierQuantizer.Quantize(Trained(), new QuantizationOptions());
        var contents = TextClassifierFile.ToContents(result.Model);
        int index = contents.Tensors.FindIndex(t => t.Name == "svm.weight.scale");
        contents.Tensors[index] = QuantizedTensors.HalfTensor("svm.weight.scale", [1, 2], [1f, 1f]);
        var error = Assert.Throws<ModelFormatException>(() => TextClassifierFile.FromContents(contents, "bad.tlm"));
        Assert.Contains("svm.weight.scale", error.Message);
    }

    [Fact]
    public void Quantize_cli_stores_the_svm_weight_as_int8_with_the_scales_asked_for()
    {
        using var dir = new ScratchDir();
        string input = dir.File("svm.tlm"), eval = dir.File("eval.tsv");
        Trained().Save(input);
        ToyTopics.WriteTsv(eval, ToyTopics.Make(30, seed: 9));
        foreach (var scales in new[] { "class", "row" })
        {
            string output = dir.File($"svm.{scales}.tlm");
            var (exit, stdout, stderr) = CliRunner.Run("quantize", input, "--out", output, "--svm-scales", scales, "--calibrate", eval, "--eval", eval, "--json");
            Assert.True(exit == 0, stderr);
            Assert.Contains("\"name\":\"svm.weight\",\"format\":\"int8\"", stdout, StringComparison.Ordinal);
            var table = Assert.IsType<Int8Table>(TextClassifierFile.Load(output).LinearSvm!.QuantizedWeight);
            Assert.Equal(scales == "class", table.PerColumn);
        }
        var bad = CliRunner.Run("quantize", input, "--out", dir.File("bad.tlm"), "--svm-scales", "column");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--svm-scales", bad.Err);
        Assert.False(File.Exists(dir.File("bad.tlm")));
    }
}
