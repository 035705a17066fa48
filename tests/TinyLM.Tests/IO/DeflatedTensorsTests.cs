using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.IO.Llama;
using TinyLM.Tests.Models;
using TinyLM.Training;

namespace TinyLM.Tests.IO;

/// <summary>Tensors stored zlib-deflated in a model file (format version 3): round trip, older versions, corrupt streams.</summary>
public class DeflatedTensorsTests
{
    private static TextClassifier QuantizedSvm()
    {
        var data = ToyTopics.Make(240, seed: 1);
        var config = new TextClassifierConfig { Encoder = EncoderKind.Bag, VocabSize = 100, MaxLength = 16, WordBigrams = true, LinearSvmWeight = 1f, SvmOnly = true };
        var model = TextClassifier.Create(config, data.Examples);
        model.Fit(data, options: new TrainOptions { Epochs = 1 });
        return ClassifierQuantizer.Quantize(model, new QuantizationOptions { SvmLevels = 7, MaxLayerError = double.PositiveInfinity }).Model;
    }

    [Fact]
    public void A_deflated_file_is_smaller_and_loads_the_same_weights_and_predictions()
    {
        using var dir = new ScratchDir();
        var model = QuantizedSvm();
        model.Save(dir.File("plain.tlm"));
        model.SaveDeflated(dir.File("deflated.tlm"));
        Assert.True(new FileInfo(dir.File("deflated.tlm")).Length < new FileInfo(dir.File("plain.tlm")).Length);
        var contents = ModelFile.Load(dir.File("deflated.tlm"));
        Assert.Equal(3, contents.FormatVersion);
        Assert.DoesNotContain(contents.Tensors, t => t.Name.EndsWith(DeflatedTensors.Suffix, StringComparison.Ordinal));
        var plain = TextClassifierFile.Load(dir.File("plain.tlm"));
        var deflated = TextClassifierFile.Load(dir.File("deflated.tlm"));
        var loaded = deflated.StateDict().ToDictionary(p => p.Name, p => p.Value.ToArray());
        foreach (var (name, tensor) in plain.StateDict()) Assert.Equal(tensor.ToArray(), loaded[name]);
        var table = Assert.IsType<Int8Table>(deflated.LinearSvm!.QuantizedWeight);
        Assert.Equal(Assert.IsType<Int8Table>(plain.LinearSvm!.QuantizedWeight).Values, table.Values);
        var texts = ToyTopics.Make(30, seed: 4).Examples.Select(e => e.Text).ToArray();
        Assert.Equal(plain.Predict(texts), deflated.Predict(texts));
    }

    [Fact]
    public void Only_files_with_deflated_tensors_are_version_3_and_version_1_contents_are_never_deflated()
    {
        using var dir = new ScratchDir();
        var model = QuantizedSvm();
        model.Save(dir.File("plain.tlm"));
        var plain = SafeTensorsFile.Parse(File.ReadAllBytes(dir.File("plain.tlm")), "plain.tlm");
        Assert.Equal("2", plain.Metadata[ModelFile.VersionKey]);
        Assert.False(plain.Metadata.ContainsKey(DeflatedTensors.MetadataKey));
        var c = TextClassifierFile.ToContents(model);
        var v1 = new ModelFileContents
        {
            Kind = c.Kind, FormatVersion = 1, ConfigJson = c.ConfigJson, TokenizerJson = c.TokenizerJson, Labels = c.Labels, Metadata = c.Metadata,
            Tensors = c.Tensors, DeflateTensors = true,
        };
        ModelFile.Save(dir.File("v1.tlm"), v1);
        var raw = SafeTensorsFile.Parse(File.ReadAllBytes(dir.File("v1.tlm")), "v1.tlm");
        Assert.Equal("1", raw.Metadata[ModelFile.VersionKey]);
        Assert.False(raw.Metadata.ContainsKey(DeflatedTensors.MetadataKey));
        var texts = ToyTopics.Make(30, seed: 4).Examples.Select(e => e.Text).ToArray();
        Assert.Equal(model.Predict(texts), TextClassifierFile.Load(dir.File("v1.tlm")).Predict(texts));
    }

    [Fact]
    public void Corrupt_or_inconsistent_deflated_tensors_fail_naming_the_tensor()
    {
        var values = new byte[1024];
        for (int i = 0; i < values.Length; i++) values[i] = (byte)(i % 3);
        var (tensors, json) = DeflatedTensors.Deflate([SafeTensor.FromBytes("t", [1024], values)]);
        Assert.NotNull(json);
        var packed = Assert.Single(tensors);
        Assert.Equal("t" + DeflatedTensors.Suffix, packed.Name);
        Assert.Equal(values, Assert.Single(DeflatedTensors.Inflate(tensors, json, "f.tlm")).Data.ToArray());

        var truncated = SafeTensor.FromBytes(packed.Name, [packed.Data.Length / 2], packed.Data.Span[..(packed.Data.Length / 2)]);
        Assert.Contains("'t.zlib'", Assert.Throws<ModelFormatException>(() => DeflatedTensors.Inflate([truncated], json, "f.tlm")).Message);
        var longer = json.Replace("[1024]", "[2048]", StringComparison.Ordinal);
        Assert.Contains("t.zlib", Assert.Throws<ModelFormatException>(() => DeflatedTensors.Inflate(tensors, longer, "f.tlm")).Message);
        Assert.Contains("no tensor 't.zlib'", Assert.Throws<ModelFormatException>(() => DeflatedTensors.Inflate([], json, "f.tlm")).Message);
        Assert.Contains("both raw and deflated", Assert.Throws<ModelFormatException>(() =>
            DeflatedTensors.Inflate([packed, SafeTensor.FromBytes("t", [1024], values)], json, "f.tlm")).Message);
        Assert.Contains(DeflatedTensors.MetadataKey, Assert.Throws<ModelFormatException>(() => DeflatedTensors.Inflate(tensors, "{\"t\": 3}", "f.tlm")).Message);
        // A float table whose inflated values hold a NaN is refused like a raw one.
        var nan = new float[256];
        nan[17] = float.NaN;
        var (bad, badJson) = DeflatedTensors.Deflate([SafeTensor.FromFloats("w", [256], nan)]);
        Assert.Contains("non-finite value (NaN or infinity) at element 17", Assert.Throws<ModelFormatException>(() => DeflatedTensors.Inflate(bad, badJson!, "f.tlm")).Message);
        // Incompressible bytes stay raw.
        var noise = new byte[1024];
        new Random(1).NextBytes(noise);
        Assert.Null(DeflatedTensors.Deflate([SafeTensor.FromBytes("n", [1024], noise)]).Json);
    }
}
