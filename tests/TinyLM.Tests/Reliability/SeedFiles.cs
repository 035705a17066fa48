using TinyLM.Compression;
using TinyLM.IO;
using TinyLM.Models;
using TinyLM.Tests.Models;
using TinyLM.Text;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// Small valid files of every format TinyLM reads, made in memory, each with the reader that loads it the way the CLI
/// does (parse, then build the model). The fuzzer mutates them; the integrity tests damage them on purpose.
/// </summary>
internal static class SeedFiles
{
    /// <summary>One format: its valid bytes and the whole load path for a byte image (source names it in errors).</summary>
    public sealed record Seed(string Name, byte[] Bytes, Action<byte[], string> Load);

    private static readonly Lazy<IReadOnlyList<Seed>> _all = new(Make);

    public static IReadOnlyList<Seed> All => _all.Value;

    public static Seed Get(string name) => All.Single(s => s.Name == name);

    /// <summary>Loads a .tlm image through the same steps as TextClassifierFile/CausalLMFile/Seq2SeqFile.Load.</summary>
    public static void LoadTlm(byte[] bytes, string source)
    {
        var contents = ModelFile.FromSafeTensors(ParseSafeTensors(bytes, source), source);
        switch (contents.Kind)
        {
            case ModelKind.Classifier: TextClassifierFile.FromContents(contents, source); break;
            case ModelKind.CausalLM: CausalLMFile.FromContents(contents, source); break;
            default: Seq2SeqFile.FromContents(contents, source); break;
        }
    }

    // ModelFile.Load's wrapping of the container error, for in-memory images.
    private static SafeTensorsFile ParseSafeTensors(byte[] bytes, string source)
    {
        try
        {
            return SafeTensorsFile.Parse(bytes, source);
        }
        catch (ModelFormatException ex)
        {
            throw new ModelFormatException(source, $"not a valid TinyLM model file: {ex.Problem}", ex);
        }
    }

    /// <summary>The same file written without the checksums entry, as files from before it: the deeper readers then see the damage.</summary>
    public static byte[] WithoutChecksums(byte[] tlm)
    {
        var file = SafeTensorsFile.Parse(tlm, "seed");
        var metadata = file.Metadata.Where(kv => kv.Key != TensorIntegrity.ChecksumsKey).ToDictionary();
        return SafeTensorsFile.Serialize(file.Tensors, metadata);
    }

    private static IReadOnlyList<Seed> Make()
    {
        var classifier = TextClassifier.Create(new TextClassifierConfig
        {
            Encoder = EncoderKind.Bag, EmbedDim = 8, VocabSize = 40, MaxLength = 8, WordBigrams = true, NaiveBayesWeight = 0.3f, Seed = 3,
        }, ToyTopics.Make(60, seed: 1).Examples);
        var quantized = ClassifierQuantizer.Quantize(classifier, new QuantizationOptions { Type = QuantizationType.Int8, MaxLayerError = 1.0 }).Model;
        var tokenizer = CharTokenizer.Fit("abcdefgh \n");
        var lm = new TokenizedCausalLM(CausalLMTests.Randomised(CausalLMTests.Gpt2 with { VocabSize = tokenizer.VocabSize, ContextLength = 8 }), tokenizer);

        var shape = new LlamaShape(8, 16, 1, 2, 1, 8, 8);
        var weights = LlamaWeights.Random(shape, seed: 5, std: 0.1f);
        using var llama2c = new MemoryStream();
        Llama2cCheckpoint.Write(llama2c, weights);
        byte[][] pieces = [.. new[] { "<unk>", "<s>", "</s>", "a", "b", "ab", " ", "ba" }.Select(System.Text.Encoding.UTF8.GetBytes)];
        var llamaTokenizer = new LlamaTokenizer(pieces, [0f, 0f, 0f, -1f, -2f, -3f, -4f, -5f]);

        byte[] classifierBytes = Tlm(classifier.Save), lmBytes = Tlm(lm.Save);
        return
        [
            new("classifier.tlm", classifierBytes, LoadTlm),
            new("classifier-unchecked.tlm", WithoutChecksums(classifierBytes), LoadTlm),
            new("classifier-int8.tlm", WithoutChecksums(Tlm(quantized.Save)), LoadTlm),
            new("causal-lm.tlm", lmBytes, LoadTlm),
            new("causal-lm-unchecked.tlm", WithoutChecksums(lmBytes), LoadTlm),
            new("stories.bin", llama2c.ToArray(), (b, s) => Llama2cCheckpoint.Read(new MemoryStream(b), s)),
            new("tokenizer.bin", Llama2cTokenizerFile.Serialize(llamaTokenizer), (b, s) => Llama2cTokenizerFile.Read(b, s)),
            new("model.gguf", Gguf(weights), (b, s) => LlamaGguf.Read(GgufFile.Parse(b, s))),
        ];
    }

    private static byte[] Tlm(Action<string> save)
    {
        using var dir = new TinyLM.Tests.Text.TempDir();
        string path = Path.Combine(dir.Path, "seed.tlm");
        save(path);
        return File.ReadAllBytes(path);
    }

    private static byte[] Gguf(LlamaWeights weights)
    {
        using var dir = new TinyLM.Tests.Text.TempDir();
        string path = Path.Combine(dir.Path, "seed.gguf");
        LlamaGguf.Write(path, weights, vocabulary: null);
        return File.ReadAllBytes(path);
    }
}
