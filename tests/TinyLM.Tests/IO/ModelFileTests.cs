using System.Buffers.Binary;
using System.Text;
using TinyLM.IO;

namespace TinyLM.Tests.IO;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _dir = SafeTensorsTestData.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ModelFileContents Sample()
    {
        var contents = new ModelFileContents
        {
            Kind = ModelKind.Classifier,
            ConfigJson = "{\"encoder\":\"bilstm\",\"hidden\":8,\"vocab\":5}",
            TokenizerJson = "{\"type\":\"word\",\"vocab\":[\"<pad>\",\"<unk>\",\"gut\",\"schön\",\"😀\"]}",
            Labels = ["negative", "positive", "ünïcödé \"quoted\""],
            Metadata = new Dictionary<string, string> { ["quantization"] = "int8-per-row" },
        };
        contents.AddFloats("embedding.weight", [5, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9.5f]).AddFloats("out.bias", [3], [-1, 0, 1]);
        contents.Tensors.Add(SafeTensor.FromSBytes("out.weight", [3, 2], [1, -1, 2, -2, 127, -128]));
        contents.AddFloats("out.weight.scale", [3], [0.1f, 0.2f, 0.3f]);
        return contents;
    }

    private string SavedSample()
    {
        string path = Path.Combine(_dir, "model.tlm");
        ModelFile.Save(path, Sample());
        return path;
    }

    [Fact]
    public void Save_then_load_round_trips_everything()
    {
        string path = SavedSample();
        ModelFileContents loaded = ModelFile.Load(path);
        ModelFileContents expected = Sample();

        Assert.Equal(ModelKind.Classifier, loaded.Kind);
        Assert.Equal(ModelFile.CurrentFormatVersion, loaded.FormatVersion);
        Assert.Equal(expected.ConfigJson, loaded.ConfigJson);
        Assert.Equal(expected.TokenizerJson, loaded.TokenizerJson);
        Assert.Equal(expected.Labels, loaded.Labels);
        Assert.Equal(expected.Metadata, loaded.Metadata);
        Assert.Equal(expected.Tensors.Count, loaded.Tensors.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9.5f], loaded.GetFloats("embedding.weight"));
        Assert.Equal([5, 2], loaded.GetTensor("embedding.weight").ShapeArray());
        Assert.Equal([1, -1, 2, -2, 127, -128], loaded.GetTensor("out.weight").ToSByteArray());
        Assert.Equal([0.1f, 0.2f, 0.3f], loaded.GetFloats("out.weight.scale"));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Every_kind_round_trips_and_the_file_is_plain_safetensors()
    {
        foreach (ModelKind kind in Enum.GetValues<ModelKind>())
        {
            string path = Path.Combine(_dir, $"{kind}.tlm");
            ModelFile.Save(path, new ModelFileContents { Kind = kind });
            Assert.Equal(kind, ModelFile.Load(path).Kind);
            SafeTensorsFile raw = SafeTensorsFile.Read(path);
            Assert.Equal(kind.ToFileName(), raw.Metadata[ModelFile.KindKey]);
            Assert.Equal(ModelFile.CurrentFormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), raw.Metadata[ModelFile.VersionKey]);
            Assert.Equal("[]", raw.Metadata[ModelFile.LabelsKey]);
        }
    }

    [Fact]
    public void Saving_twice_gives_identical_bytes()
    {
        string a = Path.Combine(_dir, "a.tlm"), b = Path.Combine(_dir, "b.tlm");
        ModelFile.Save(a, Sample());
        ModelFile.Save(b, Sample());
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public void Truncation_at_any_point_is_reported_not_misread()
    {
        byte[] full = File.ReadAllBytes(SavedSample());
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(full);
        int[] cuts = [0, 1, 7, 8, 9, headerEnd / 2, headerEnd - 1, headerEnd, headerEnd + 3, full.Length - 1];
        foreach (int cut in cuts)
        {
            string path = Path.Combine(_dir, $"cut{cut}.tlm");
            File.WriteAllBytes(path, full[..cut]);
            ModelFormatException ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
            Assert.Equal(path, ex.FilePath);
            Assert.Contains("not a valid TinyLM model file", ex.Message, StringComparison.Ordinal);
            if (cut == 0) Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
            if (cut > headerEnd) Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Flipped_header_length_is_reported()
    {
        byte[] full = File.ReadAllBytes(SavedSample());
        foreach (ulong bad in new ulong[] { ulong.MaxValue, 1UL << 40, (ulong)full.Length, 3 })
        {
            byte[] copy = (byte[])full.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(copy, bad);
            string path = Path.Combine(_dir, "flipped.tlm");
            File.WriteAllBytes(path, copy);
            ModelFormatException ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
            Assert.Contains("header", ex.Message, StringComparison.Ordinal);
        }

        // One flipped bit in the high byte of the length.
        byte[] flipped = (byte[])full.Clone();
        flipped[7] ^= 0x80;
        File.WriteAllBytes(Path.Combine(_dir, "bit.tlm"), flipped);
        Assert.Contains("exceeds", Assert.Throws<ModelFormatException>(() => ModelFile.Load(Path.Combine(_dir, "bit.tlm"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_offsets_are_reported()
    {
        string json = "{\"__metadata__\":{\"tinylm.format_version\":\"1\",\"tinylm.kind\":\"classifier\",\"tinylm.config\":\"{}\",\"tinylm.tokenizer\":\"{}\",\"tinylm.labels\":\"[]\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        string path = Path.Combine(_dir, "overlap.tlm");
        File.WriteAllBytes(path, SafeTensorsTestData.Image(json, new byte[12]));
        ModelFormatException ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.Contains("'b'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("overlap tensor 'a'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Foreign_files_are_reported_as_such()
    {
        string text = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(text, "This is a plain text file that somebody passed as --model.\nSecond line.\n");
        Assert.Contains("not a valid TinyLM model file", Assert.Throws<ModelFormatException>(() => ModelFile.Load(text)).Message, StringComparison.Ordinal);

        string bin = Path.Combine(_dir, "weights.bin");
        var random = new byte[4096];
        new Random(7).NextBytes(random);
        File.WriteAllBytes(bin, random);
        Assert.Contains("not a valid TinyLM model file", Assert.Throws<ModelFormatException>(() => ModelFile.Load(bin)).Message, StringComparison.Ordinal);

        string json = Path.Combine(_dir, "config.json");
        File.WriteAllText(json, "{\"hidden\": 8}");
        Assert.Throws<ModelFormatException>(() => ModelFile.Load(json));

        string plain = Path.Combine(_dir, "plain.safetensors");
        SafeTensorsFile.Write(plain, [SafeTensor.FromFloats("w", [1], [1f])], new Dictionary<string, string> { ["format"] = "pt" });
        ModelFormatException ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(plain));
        Assert.Contains("not a TinyLM model file", ex.Message, StringComparison.Ordinal);

        string empty = Path.Combine(_dir, "empty.tlm");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty", Assert.Throws<ModelFormatException>(() => ModelFile.Load(empty)).Message, StringComparison.Ordinal);

        Assert.Throws<FileNotFoundException>(() => ModelFile.Load(Path.Combine(_dir, "missing.tlm")));
    }

    [Fact]
    public void Newer_or_invalid_format_versions_are_refused()
    {
        string path = Path.Combine(_dir, "future.tlm");
        WriteWithMetadata(path, ModelFile.VersionKey, "4");
        ModelFormatException ex = Assert.Throws<ModelFormatException>(() => ModelFile.Load(path));
        Assert.Contains("format version 4 is newer", ex.Message, StringComparison.Ordinal);
        Assert.Contains("upgrade", ex.Message, StringComparison.Ordinal);

        foreach (string bad in new[] { "0", "-1", "one", "1.0", "" })
        {
            WriteWithMetadata(path, ModelFile.VersionKey, bad);
            Assert.Contains("not a positive integer", Assert.Throws<ModelFormatException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
        }

        WriteWithMetadata(path, ModelFile.KindKey, "diffusion");
        Assert.Contains("unknown model kind 'diffusion'", Assert.Throws<ModelFormatException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
        WriteWithMetadata(path, ModelFile.ConfigKey, "{not json");
        Assert.Contains("'tinylm.config' is not valid JSON", Assert.Throws<ModelFormatException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
        WriteWithMetadata(path, ModelFile.LabelsKey, "[1,2]");
        Assert.Contains("not a string", Assert.Throws<ModelFormatException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
        WriteWithMetadata(path, ModelFile.TokenizerKey, null);
        Assert.Contains("missing 'tinylm.tokenizer'", Assert.Throws<ModelFormatException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
    }

    private static void WriteWithMetadata(string path, string key, string? value)
    {
        var md = new Dictionary<string, string>
        {
            [ModelFile.VersionKey] = "1",
            [ModelFile.KindKey] = "causal-lm",
            [ModelFile.ConfigKey] = "{}",
            [ModelFile.TokenizerKey] = "{}",
            [ModelFile.LabelsKey] = "[]",
        };
        if (value is null) md.Remove(key);
        else md[key] = value;
        SafeTensorsFile.Write(path, [SafeTensor.FromFloats("w", [1], [1f])], md);
    }

    [Fact]
    public void Invalid_contents_are_refused_before_touching_the_old_file()
    {
        string path = SavedSample();
        byte[] before = File.ReadAllBytes(path);
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, new ModelFileContents { Kind = ModelKind.Seq2Seq, ConfigJson = "{oops" }));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, new ModelFileContents { Kind = ModelKind.Seq2Seq, FormatVersion = 99 }));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, new ModelFileContents
        {
            Kind = ModelKind.Seq2Seq,
            Metadata = new Dictionary<string, string> { ["tinylm.kind"] = "x" },
        }));
        var dup = new ModelFileContents { Kind = ModelKind.Seq2Seq };
        dup.AddFloats("w", [1], [1f]).AddFloats("w", [1], [2f]);
        Assert.Throws<ArgumentException>(() => ModelFile.Save(path, dup));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Metadata_text_is_stored_readably_not_escaped()
    {
        string path = SavedSample();
        string header = Encoding.UTF8.GetString(File.ReadAllBytes(path));
        Assert.Contains("schön", header, StringComparison.Ordinal);
    }
}
