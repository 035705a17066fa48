namespace TinyLM.IO;

/// <summary>
/// llama-architecture models in GGUF, as llama.cpp's <c>llama</c> arch reads them: <c>llama.*</c> hyper-parameters,
/// a "llama" vocabulary and tensors <c>token_embd.weight</c>, <c>blk.N.attn_q.weight</c> … <c>output.weight</c>.
/// llama2.c's weights use Meta's rotary convention (adjacent pairs rotate together), which is the one
/// llama.cpp's llama arch applies (rope type "norm"), so q and k are written unpermuted; only weights converted
/// from Hugging Face's rotate-half layout need the permutation.
/// </summary>
public static class LlamaGguf
{
    /// <summary>llama.cpp's general.file_type for each storage type (LLAMA_FTYPE_ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0, MOSTLY_Q4_K_S).</summary>
    private static uint FileType(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q4_0 => 2,
        GgmlType.Q8_0 => 7,
        GgmlType.Q4_K => 14,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unsupported ggml type"),
    };

    /// <summary>
    /// Builds the GGUF of <paramref name="weights"/>: matrices stored as <paramref name="type"/>, norm gains always f32
    /// (as llama.cpp's own converters do). <paramref name="vocabulary"/> may be null for a model without tokenizer.
    /// <paramref name="encoded"/> holds tensors already quantized (by GGUF name: type and ggml bytes), written verbatim
    /// instead of encoding their float values, so a quantized model is exported without quantizing twice; its other
    /// tensors (kept float on purpose) are then written f32 and <paramref name="type"/> only names the file type.
    /// </summary>
    public static GgufWriter CreateWriter(LlamaWeights weights, GgufVocabulary? vocabulary, GgmlType type = GgmlType.F32, string name = "tinylm",
        IReadOnlyDictionary<string, (GgmlType Type, byte[] Data)>? encoded = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        LlamaShape s = weights.Shape;
        if (vocabulary is not null && vocabulary.Tokens.Length != s.VocabSize)
            throw new ArgumentException($"GGUF export: the tokenizer has {vocabulary.Tokens.Length} tokens but the model's vocabulary is {s.VocabSize}.");
        // With encoded tensors, type only names the file type (the quantizer already chose each matrix's format).
        int blockValues = GgmlQuant.BlockValues(type);
        if (encoded is null && (s.Dim % blockValues != 0 || s.HiddenDim % blockValues != 0))
            throw new ArgumentException($"GGUF export: {type} needs dim {s.Dim} and hidden dim {s.HiddenDim} to be multiples of {blockValues}.");
        var w = new Writer(new GgufWriter(), encoded);
        w.Add("general.architecture", "llama");
        w.Add("general.name", name);
        w.Add("general.file_type", FileType(type));
        w.Add("llama.vocab_size", (uint)s.VocabSize);
        w.Add("llama.context_length", (uint)s.ContextLength);
        w.Add("llama.embedding_length", (uint)s.Dim);
        w.Add("llama.block_count", (uint)s.Layers);
        w.Add("llama.feed_forward_length", (uint)s.HiddenDim);
        w.Add("llama.attention.head_count", (uint)s.Heads);
        w.Add("llama.attention.head_count_kv", (uint)s.KvHeads);
        w.Add("llama.rope.dimension_count", (uint)s.HeadDim);
        w.Add("llama.attention.layer_norm_rms_epsilon", s.NormEpsilon);
        w.Add("llama.rope.freq_base", s.RopeTheta);
        vocabulary?.AddTo(w.Inner);

        long c = s.Dim, f = s.HiddenDim, q = (long)s.Heads * s.HeadDim, kv = (long)s.KvHeads * s.HeadDim;
        w.AddTensor("token_embd.weight", [s.VocabSize, c], weights.TokenEmbedding, type);
        for (int l = 0; l < s.Layers; l++)
        {
            w.AddTensor($"blk.{l}.attn_norm.weight", [c], Slice(weights.AttentionNorm, l, c), GgmlType.F32);
            w.AddTensor($"blk.{l}.attn_q.weight", [q, c], Slice(weights.Wq, l, q * c), type);
            w.AddTensor($"blk.{l}.attn_k.weight", [kv, c], Slice(weights.Wk, l, kv * c), type);
            w.AddTensor($"blk.{l}.attn_v.weight", [kv, c], Slice(weights.Wv, l, kv * c), type);
            w.AddTensor($"blk.{l}.attn_output.weight", [c, q], Slice(weights.Wo, l, c * q), type);
            w.AddTensor($"blk.{l}.ffn_norm.weight", [c], Slice(weights.FfnNorm, l, c), GgmlType.F32);
            w.AddTensor($"blk.{l}.ffn_gate.weight", [f, c], Slice(weights.W1, l, f * c), type);
            w.AddTensor($"blk.{l}.ffn_down.weight", [c, f], Slice(weights.W2, l, c * f), type);
            w.AddTensor($"blk.{l}.ffn_up.weight", [f, c], Slice(weights.W3, l, f * c), type);
        }
        w.AddTensor("output_norm.weight", [c], weights.FinalNorm, GgmlType.F32);
        // A tied classifier is left out: llama.cpp then reuses token_embd.weight.
        if (weights.Classifier is { } cls) w.AddTensor("output.weight", [s.VocabSize, c], cls, type);
        return w.Inner;
    }

    // Adds each tensor from its float values, or verbatim when an encoded form was given.
    private sealed class Writer(GgufWriter inner, IReadOnlyDictionary<string, (GgmlType Type, byte[] Data)>? encoded)
    {
        public GgufWriter Inner { get; } = inner;

        public void Add(string key, object value) => Inner.Add(key, value);

        public void AddTensor(string name, long[] shape, float[] values, GgmlType type)
        {
            if (encoded is not null && encoded.TryGetValue(name, out var e)) Inner.AddEncodedTensor(name, shape, e.Type, e.Data);
            else Inner.AddTensor(name, shape, values, encoded is null ? type : GgmlType.F32);
        }
    }

    /// <summary>Writes the GGUF of <paramref name="weights"/> atomically.</summary>
    public static void Write(string path, LlamaWeights weights, GgufVocabulary? vocabulary, GgmlType type = GgmlType.F32, string name = "tinylm",
        IReadOnlyDictionary<string, (GgmlType Type, byte[] Data)>? encoded = null) =>
        CreateWriter(weights, vocabulary, type, name, encoded).Write(path);

    /// <summary>Reads a llama-architecture GGUF back (quantized tensors dequantized to float32).</summary>
    public static (LlamaWeights Weights, GgufVocabulary? Vocabulary) Read(string path) => Read(GgufFile.Read(path));

    public static (LlamaWeights Weights, GgufVocabulary? Vocabulary) Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string arch = file.Get<string>("general.architecture");
        if (arch != "llama")
            throw new ModelFormatException(file.Source, $"GGUF architecture is \"{arch}\"; only \"llama\" models can be imported.");
        GgufTensorInfo embd = file.GetInfo("token_embd.weight");
        int dim = U(file, "llama.embedding_length");
        int heads = U(file, "llama.attention.head_count");
        var shape = new LlamaShape(dim, U(file, "llama.feed_forward_length"), U(file, "llama.block_count"), heads,
            file.Metadata.ContainsKey("llama.attention.head_count_kv") ? U(file, "llama.attention.head_count_kv") : heads,
            (int)embd.Shape[0], U(file, "llama.context_length"), SharedClassifier: !file.HasTensor("output.weight"),
            NormEpsilon: file.Get<float>("llama.attention.layer_norm_rms_epsilon"),
            RopeTheta: file.Metadata.TryGetValue("llama.rope.freq_base", out object? theta) && theta is float th ? th : 10000f);
        shape.Validate(file.Source);
        if (file.Metadata.TryGetValue("llama.vocab_size", out object? vocabSize) && (vocabSize switch { uint u => u, int i => i, ulong ul => (long)Math.Min(ul, long.MaxValue), _ => -1L }) != embd.Shape[0])
            throw new ModelFormatException(file.Source, $"GGUF llama.vocab_size {vocabSize} disagrees with token_embd.weight, which has {embd.Shape[0]} rows.");
        CheckFitsFile(file, shape);
        if (file.Metadata.TryGetValue("llama.rope.dimension_count", out object? rd) && rd is uint r && r != shape.HeadDim)
            throw new ModelFormatException(file.Source, $"GGUF llama.rope.dimension_count {r} differs from the head size {shape.HeadDim}; partial rotary is not supported.");
        var w = new LlamaWeights(shape);
        long c = shape.Dim, f = shape.HiddenDim, q = (long)shape.Heads * shape.HeadDim, kv = (long)shape.KvHeads * shape.HeadDim;
        Load(file, "token_embd.weight", [shape.VocabSize, c], w.TokenEmbedding, 0);
        for (int l = 0; l < shape.Layers; l++)
        {
            Load(file, $"blk.{l}.attn_norm.weight", [c], w.AttentionNorm, l);
            Load(file, $"blk.{l}.attn_q.weight", [q, c], w.Wq, l);
            Load(file, $"blk.{l}.attn_k.weight", [kv, c], w.Wk, l);
            Load(file, $"blk.{l}.attn_v.weight", [kv, c], w.Wv, l);
            Load(file, $"blk.{l}.attn_output.weight", [c, q], w.Wo, l);
            Load(file, $"blk.{l}.ffn_norm.weight", [c], w.FfnNorm, l);
            Load(file, $"blk.{l}.ffn_gate.weight", [f, c], w.W1, l);
            Load(file, $"blk.{l}.ffn_down.weight", [c, f], w.W2, l);
            Load(file, $"blk.{l}.ffn_up.weight", [f, c], w.W3, l);
        }
        Load(file, "output_norm.weight", [c], w.FinalNorm, 0);
        if (w.Classifier is { } cls) Load(file, "output.weight", [shape.VocabSize, c], cls, 0);
        GgufVocabulary? vocabulary = GgufVocabulary.From(file);
        if (vocabulary is not null && vocabulary.Tokens.Length != shape.VocabSize)
            throw new ModelFormatException(file.Source, $"GGUF vocabulary has {vocabulary.Tokens.Length} tokens but token_embd.weight has {shape.VocabSize} rows.");
        return (w, vocabulary);
    }

    // LlamaWeights allocates what the metadata describes; hostile metadata (block_count 2^31) must fail on the file's
    // size first. Stored weights take at least ~0.56 bytes each (q4 blocks), so 2 per byte bounds any honest file.
    private static void CheckFitsFile(GgufFile file, LlamaShape s)
    {
        double c = s.Dim, f = s.HiddenDim, q = (double)s.Heads * s.HeadDim, kv = (double)s.KvHeads * s.HeadDim;
        double weights = (double)s.VocabSize * c * (s.SharedClassifier ? 1 : 2) + (double)s.Layers * (2 * c + 2 * q * c + 2 * kv * c + 3 * f * c) + c;
        if (weights > 2.0 * file.ByteLength + (1 << 20))
            throw new ModelFormatException(file.Source, $"GGUF metadata describes about {weights:G3} weights ({s}) but the file is {file.ByteLength:N0} bytes.");
    }

    private static float[] Slice(float[] stacked, int layer, long size) => stacked.AsSpan((int)(layer * size), (int)size).ToArray();

    private static int U(GgufFile file, string key)
    {
        uint v = file.Get<uint>(key);
        return v <= int.MaxValue ? (int)v : throw new ModelFormatException(file.Source, $"GGUF metadata '{key}' = {v} is too large.");
    }

    private static void Load(GgufFile file, string name, long[] shape, float[] stacked, int layer)
    {
        GgufTensorInfo info = file.GetInfo(name);
        if (!info.Shape.AsSpan().SequenceEqual(shape))
            throw new ModelFormatException(file.Source, $"GGUF tensor '{name}' has shape ({string.Join(", ", info.Shape)}), expected ({string.Join(", ", shape)}).");
        float[] values = file.ReadFloats(name);
        values.CopyTo(stacked.AsSpan(layer * values.Length));
    }
}
