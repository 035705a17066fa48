using System.Buffers.Binary;
using System.Text;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Tests.Text;
using TinyLM.Text;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// Issue 16's integrity checks: corrupt tensor bytes, non-finite weights and configs that disagree with their tensors
/// fail at load with the file and the tensor or field named; files written before checksums still load.
/// </summary>
public sealed class ModelIntegrityTests
{
    private static ModelFormatException LoadFails(string seed, byte[] bytes) =>
        Assert.Throws<ModelFormatException>(() => SeedFiles.LoadTlm(bytes, seed));

    // The byte offset where the data section (after the 8-byte length and the JSON header) begins.
    private static int DataStart(byte[] tlm) => 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(tlm);

    [Fact]
    public void A_flipped_weight_byte_fails_naming_the_file_the_tensor_and_the_version()
    {
        byte[] bytes = (byte[])SeedFiles.Get("classifier.tlm").Bytes.Clone();
        var file = SafeTensorsFile.Parse(bytes, "seed");
        var last = file.Tensors[^1]; // tensors lie in offset order: the last one ends the file
        bytes[^1] ^= 0x01;
        var e = LoadFails("m.tlm", bytes);
        Assert.StartsWith("m.tlm: ", e.Message);
        Assert.Contains($"tensor '{last.Name}' is corrupt", e.Message);
        Assert.Contains("format version 2", e.Message);
    }

    [Fact]
    public void The_same_flip_in_a_file_without_checksums_loads_which_is_why_they_exist()
    {
        // A flip in the low mantissa bit of a float weight is a different but plausible model: only a checksum sees it.
        byte[] bytes = SeedFiles.WithoutChecksums(SeedFiles.Get("classifier.tlm").Bytes);
        var tensors = SafeTensorsFile.Parse(bytes, "seed").Tensors; // in offset order
        int index = tensors.ToList().FindIndex(t => t.DType == SafeTensorDType.F32 && t.ElementCount > 0);
        int offset = DataStart(bytes) + (int)tensors.Take(index).Sum(t => (long)t.Data.Length);
        bytes[offset] ^= 0x01;
        SeedFiles.LoadTlm(bytes, "old.tlm");
    }

    [Fact]
    public void Files_written_before_checksums_load_to_the_same_model()
    {
        using var dir = new TempDir();
        byte[] with = SeedFiles.Get("classifier.tlm").Bytes, without = SeedFiles.WithoutChecksums(with);
        Assert.DoesNotContain(TensorIntegrity.ChecksumsKey, Encoding.UTF8.GetString(without));
        File.WriteAllBytes(Path.Combine(dir.Path, "new.tlm"), with);
        File.WriteAllBytes(Path.Combine(dir.Path, "old.tlm"), without);
        string[] texts = ["oil crude barrel", "wheat grain", "shares merger"];
        Assert.Equal(TextClassifierFile.Load(Path.Combine(dir.Path, "new.tlm")).PredictProbabilities(texts),
            TextClassifierFile.Load(Path.Combine(dir.Path, "old.tlm")).PredictProbabilities(texts));
    }

    [Fact]
    public void A_NaN_weight_fails_at_load_naming_the_tensor()
    {
        using var dir = new TempDir();
        var model = TextClassifier.Create(new TextClassifierConfig { Encoder = EncoderKind.Bag, EmbedDim = 4, VocabSize = 20, MaxLength = 4 },
            ToyTopics.Make(20, seed: 1).Examples);
        var (name, weight) = model.NamedParameters().First();
        weight.AsSpan()[weight.Length / 2] = float.NaN;
        string path = Path.Combine(dir.Path, "nan.tlm");
        model.Save(path); // the checksum is of the NaN bytes: it is the finite check that must catch them
        var e = Assert.Throws<ModelFormatException>(() => TextClassifierFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"tensor '{name}' holds a non-finite value", e.Message);
        Assert.Contains($"element {weight.Length / 2}", e.Message);
    }

    [Fact]
    public void Float16_infinities_are_non_finite_too()
    {
        // The check works on each dtype's exponent bits, so a float16 tensor (quantization scales) is covered.
        var tensors = new[] { new SafeTensor("w", SafeTensorDType.F16, [2], BitConverter.GetBytes((ushort)0x7C00).Concat(new byte[2]).ToArray()) };
        var file = SafeTensorsFile.Parse(SafeTensorsFile.Serialize(tensors), "h.safetensors");
        var e = Assert.Throws<ModelFormatException>(() => TensorIntegrity.VerifyFinite(file, "h.safetensors"));
        Assert.Contains("tensor 'w'", e.Message);
    }

    private static byte[] CausalLMWithConfig(Func<CausalLMConfig, CausalLMConfig> change)
    {
        var tokenizer = CharTokenizer.Fit("abcdefgh \n");
        var config = CausalLMTests.Gpt2 with { VocabSize = tokenizer.VocabSize, ContextLength = 8 };
        var contents = CausalLMFile.ToContents(new TokenizedCausalLM(CausalLMTests.Randomised(config), tokenizer));
        var changed = new ModelFileContents
        {
            Kind = contents.Kind, TokenizerJson = contents.TokenizerJson, Labels = contents.Labels, Metadata = contents.Metadata, Tensors = contents.Tensors,
            ConfigJson = System.Text.Json.JsonSerializer.Serialize(change(config), CausalLMJsonContext.Default.CausalLMConfig),
        };
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "lm.tlm");
        ModelFile.Save(path, changed);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void A_config_vocab_size_that_disagrees_with_the_embedding_is_rejected()
    {
        var e = LoadFails("lm.tlm", CausalLMWithConfig(c => c with { VocabSize = c.VocabSize + 5 }));
        Assert.Contains("vocab_size", e.Message);
        Assert.Contains("tok_embeddings.weight", e.Message);
    }

    [Fact]
    public void A_config_with_fewer_layers_than_the_file_is_rejected_instead_of_running_half_the_model()
    {
        var e = LoadFails("lm.tlm", CausalLMWithConfig(c => c with { Layers = c.Layers - 1 }));
        Assert.Contains("tensors of layer 1", e.Message);
    }

    [Fact]
    public void A_config_far_larger_than_the_file_is_refused_before_allocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = LoadFails("lm.tlm", CausalLMWithConfig(c => c with { Layers = 1_000_000 }));
        Assert.Contains("refusing to allocate", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the model was allocated before the check");
    }

    [Fact]
    public void A_llama2c_header_whose_sizes_overflow_is_reported_without_negative_counts()
    {
        var header = new byte[Llama2cCheckpoint.HeaderBytes];
        int[] fields = [1 << 30, 1 << 30, 64, 2, 2, 32000, 256];
        for (int i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4 * i), fields[i]);
        var e = Assert.Throws<ModelFormatException>(() => Llama2cCheckpoint.Read(new MemoryStream(header), "big.bin"));
        Assert.Contains("overflow", e.Message);
        Assert.DoesNotContain("-", e.Problem.Replace("llama2.c", "", StringComparison.Ordinal));
    }

    // The GGUF seed with the uint32 value of metadata key 'key' replaced (key string, then type uint32, then the value).
    private static byte[] GgufWith(string key, uint value)
    {
        byte[] bytes = (byte[])SeedFiles.Get("model.gguf").Bytes.Clone();
        int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(key));
        Assert.True(at > 0, $"{key} not in the seed");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + key.Length + 4), value);
        return bytes;
    }

    [Fact]
    public void A_GGUF_vocab_size_that_disagrees_with_token_embd_is_rejected()
    {
        var e = Assert.Throws<ModelFormatException>(() => LlamaGguf.Read(GgufFile.Parse(GgufWith("llama.vocab_size", 9), "m.gguf")));
        Assert.Contains("llama.vocab_size 9 disagrees", e.Message);
    }

    [Fact]
    public void A_GGUF_block_count_the_file_cannot_hold_is_refused_before_allocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ModelFormatException>(() => LlamaGguf.Read(GgufFile.Parse(GgufWith("llama.block_count", 1u << 30), "m.gguf")));
        Assert.Contains("but the file is", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the weights were allocated before the check");
    }
}
