using System.Text.RegularExpressions;
using TinyLM.IO;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.Reliability.Fuzz;

/// <summary>Each crash the loader fuzzer found, kept as a case: it failed with another exception than ModelFormatException.</summary>
public sealed class FuzzRegressionTests
{
    private static ModelFileContents Classifier() => ModelFile.FromSafeTensors(SafeTensorsFile.Parse(SeedFiles.Get("classifier.tlm").Bytes, "seed"), "seed");

    private static ModelFormatException LoadFails(ModelFileContents contents)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.tlm");
        ModelFile.Save(path, contents);
        var e = Assert.Throws<ModelFormatException>(() => TextClassifierFile.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        return e;
    }

    private static ModelFileContents With(ModelFileContents c, string? config = null, string? tokenizer = null) => new()
    {
        Kind = c.Kind, Labels = c.Labels, Metadata = c.Metadata, Tensors = c.Tensors,
        ConfigJson = config ?? c.ConfigJson, TokenizerJson = tokenizer ?? c.TokenizerJson,
    };

    [Fact]
    public void Invalid_UTF8_in_the_header_names_the_file() // was InvalidOperationException "Cannot transcode invalid UTF-8"
    {
        byte[] bytes = (byte[])SeedFiles.Get("classifier.tlm").Bytes.Clone();
        int at = bytes.AsSpan().IndexOf("tinylm.kind"u8);
        bytes[at + 2] = 0xFF;
        var e = Assert.Throws<ModelFormatException>(() => SeedFiles.LoadTlm(bytes, "utf8.tlm"));
        Assert.Contains("utf8.tlm", e.Message);
        Assert.Contains("not valid UTF-8", e.Message);
    }

    [Fact]
    public void A_null_kernel_widths_list_in_the_config_is_a_config_error() // was NullReferenceException in TextClassifierConfig.Validate
    {
        var c = Classifier();
        var e = LoadFails(With(c, config: Regex.Replace(c.ConfigJson, "\"kernel_widths\":\\[[^\\]]*\\]", "\"kernel_widths\":null")));
        Assert.Contains("KernelWidths", e.Message);
    }

    [Fact]
    public void A_tokenizer_without_its_type_is_a_model_format_error() // was TinyLM.Text.DataFormatException
    {
        var c = Classifier();
        var e = LoadFails(With(c, tokenizer: c.TokenizerJson.Replace("\"type\":\"word\"", "\"kind\":\"word\"", StringComparison.Ordinal)));
        Assert.Contains("invalid tokenizer", e.Message);
    }

    [Fact]
    public void A_llama2c_vocab_size_of_int_min_is_a_format_error() // was OverflowException from Math.Abs
    {
        byte[] bytes = (byte[])SeedFiles.Get("stories.bin").Bytes.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), int.MinValue);
        var e = Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Read(new MemoryStream(bytes), "min.bin"));
        Assert.Contains("vocab_size is -2147483648", e.Message);
    }
}
