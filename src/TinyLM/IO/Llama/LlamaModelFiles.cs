using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.IO;

/// <summary>
/// Opens and saves llama-family files as a <see cref="TokenizedCausalLM"/>: GGUF (tokenizer inside, or a llama2.c
/// tokenizer.bin beside it) and llama2.c checkpoints (which need their tokenizer.bin).
/// </summary>
public static class LlamaModelFiles
{
    /// <summary>Whether the file starts with the GGUF magic.</summary>
    public static bool IsGguf(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return stream.Read(head) == 4 && head.SequenceEqual("GGUF"u8);
    }

    /// <summary>
    /// Loads a GGUF or llama2.c model; null when <paramref name="path"/> is neither (so other readers can try).
    /// A llama2.c checkpoint is recognised by its <c>.bin</c> extension or by a given <paramref name="tokenizerPath"/>.
    /// </summary>
    public static TokenizedCausalLM? TryLoad(string path, string? tokenizerPath)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsGguf(path))
        {
            (LlamaWeights weights, GgufVocabulary? vocabulary) = LlamaGguf.Read(path);
            ITokenizer tokenizer = tokenizerPath is not null
                ? Llama2cTokenizerFile.Read(tokenizerPath, weights.Shape.VocabSize)
                : vocabulary?.ToTokenizer(path) ?? throw new ModelFormatException(path, "GGUF file has no tokenizer; pass --tokenizer tokenizer.bin.");
            return Pair(weights, tokenizer, path);
        }
        if (tokenizerPath is null && !path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)) return null;
        // Streamed into the model: one copy of the weights in memory, not the file's arrays and the model's.
        // Read first: a file that is not a checkpoint at all is reported as that, before the missing tokenizer.
        CausalLM model = Llama2cCheckpoint.ReadModel(path);
        if (tokenizerPath is null)
            throw new ArgumentException($"{path}: a llama2.c checkpoint carries no tokenizer; pass --tokenizer tokenizer.bin.");
        return Pair(model, Llama2cTokenizerFile.Read(tokenizerPath, model.Config.VocabSize), path);
    }

    private static TokenizedCausalLM Pair(LlamaWeights weights, ITokenizer tokenizer, string source) =>
        Pair(LlamaConversion.ToModel(weights), tokenizer, source);

    private static TokenizedCausalLM Pair(CausalLM model, ITokenizer tokenizer, string source)
    {
        if (tokenizer.VocabSize != model.Config.VocabSize)
            throw new ModelFormatException(source, $"vocabulary mismatch: the tokenizer has {tokenizer.VocabSize} tokens, the model {model.Config.VocabSize}.");
        // llama models expect BOS before a prompt and stop at EOS (llama2.c's generate).
        var llama = tokenizer as LlamaTokenizer;
        return new TokenizedCausalLM(model, tokenizer, source) { BosId = llama?.BosId, EosId = llama?.EosId };
    }

    /// <summary>
    /// The GGUF vocabulary of <paramref name="tokenizer"/>: exact for llama tokenizers, one token per character
    /// for char tokenizers; byte-level BPE and word tokenizers have no llama-style description and are refused.
    /// </summary>
    public static GgufVocabulary ToGgufVocabulary(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer switch
        {
            LlamaTokenizer llama => GgufVocabulary.FromLlama(llama),
            CharTokenizer chars => GgufVocabulary.FromChar(chars),
            _ => throw new ArgumentException($"GGUF export: a \"{tokenizer.Kind}\" tokenizer has no llama.cpp \"llama\" vocabulary form; export supports llama (llama2.c) and char tokenizers."),
        };
    }

    /// <summary>Exports <paramref name="lm"/> (llama architecture) to GGUF atomically.</summary>
    public static void ExportGguf(TokenizedCausalLM lm, string path, GgmlType type = GgmlType.F32)
    {
        ArgumentNullException.ThrowIfNull(lm);
        LlamaWeights weights = LlamaConversion.FromModel(lm.Model);
        LlamaGguf.Write(path, weights, ToGgufVocabulary(lm.Tokenizer), type, Path.GetFileNameWithoutExtension(path), EncodedTensors(lm.Model));
    }

    /// <summary>
    /// The block-quantized matrices of <paramref name="model"/> by GGUF tensor name, as ggml bytes (TinyLM stores
    /// llama.cpp's Q8_0/Q4_0/Q4_K blocks verbatim), or null for a float model.
    /// </summary>
    public static Dictionary<string, (GgmlType Type, byte[] Data)>? EncodedTensors(CausalLM model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.HasQuantizedWeights) return null;
        var result = new Dictionary<string, (GgmlType, byte[])>(StringComparer.Ordinal);
        foreach (var (name, matrix) in model.NamedWeightFormats())
            if (matrix is Kernels.BlockMatrix block && GgufName(name) is { } gguf)
                result[gguf] = (GgmlQuant.TypeOf(block.Format), block.Data);
        return result;
    }

    private static readonly Dictionary<string, string> LayerTensorNames = new(StringComparer.Ordinal)
    {
        ["attention.wq.weight"] = "attn_q.weight",
        ["attention.wk.weight"] = "attn_k.weight",
        ["attention.wv.weight"] = "attn_v.weight",
        ["attention.wo.weight"] = "attn_output.weight",
        ["feed_forward.w1.weight"] = "ffn_gate.weight",
        ["feed_forward.w2.weight"] = "ffn_down.weight",
        ["feed_forward.w3.weight"] = "ffn_up.weight",
    };

    // TinyLM (Meta llama) parameter name → GGUF tensor name; null for a name GGUF's llama arch has no tensor for.
    private static string? GgufName(string name)
    {
        if (name == "tok_embeddings.weight") return "token_embd.weight";
        if (name == "output.weight") return name;
        var parts = name.Split('.', 3);
        return parts.Length == 3 && parts[0] == "layers" && LayerTensorNames.TryGetValue(parts[2], out var suffix) ? $"blk.{parts[1]}.{suffix}" : null;
    }
}
