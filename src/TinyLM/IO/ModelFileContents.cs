namespace TinyLM.IO;

/// <summary>
/// Everything a TinyLM model file holds. Tensors may be of any safetensors dtype, so int8 or
/// packed 4-bit weights sit next to their float scales (naming is the quantizer's business, e.g.
/// "w.weight" as I8 plus "w.weight.scale" as F32) and <see cref="Metadata"/> can say how.
/// </summary>
public sealed class ModelFileContents
{
    /// <summary>What task the model solves.</summary>
    public required ModelKind Kind { get; init; }

    /// <summary>Layout version; <see cref="ModelFile.Load"/> reports the file's, <see cref="ModelFile.Save"/> accepts 1..current.</summary>
    public int FormatVersion { get; init; } = ModelFile.CurrentFormatVersion;

    /// <summary>
    /// Store every tensor that zlib shrinks by at least an eighth deflated (see <see cref="DeflatedTensors"/>; the file is
    /// then format version 3; ignored for version 1): the smallest file, at the cost of inflating on load. Not a property
    /// of the loaded file.
    /// </summary>
    public bool DeflateTensors { get; init; }

    /// <summary>The model config record as JSON (produced by the model's source-generated context).</summary>
    public string ConfigJson { get; init; } = "{}";

    /// <summary>The tokenizer as JSON (vocabulary, merges, special tokens).</summary>
    public string TokenizerJson { get; init; } = "{}";

    /// <summary>Class labels in output-index order; empty for generative models.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Extra string metadata (e.g. quantization scheme). Keys starting "tinylm." are reserved.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The weights. Names are kept verbatim (e.g. "encoder.weight_ih_l0").</summary>
    public List<SafeTensor> Tensors { get; init; } = [];

    /// <summary>Adds a float32 tensor; returns this for chaining.</summary>
    public ModelFileContents AddFloats(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        Tensors.Add(SafeTensor.FromFloats(name, shape, values));
        return this;
    }

    public SafeTensor GetTensor(string name) =>
        TryGetTensor(name, out SafeTensor t) ? t : throw new KeyNotFoundException($"model file has no tensor named '{name}'");

    public bool TryGetTensor(string name, out SafeTensor tensor)
    {
        foreach (SafeTensor t in Tensors)
        {
            if (t.Name == name)
            {
                tensor = t;
                return true;
            }
        }

        tensor = null!;
        return false;
    }

    /// <summary>The named tensor's values as float32 (converting from F16/BF16 and others).</summary>
    public float[] GetFloats(string name) => GetTensor(name).ToFloatArray();
}
