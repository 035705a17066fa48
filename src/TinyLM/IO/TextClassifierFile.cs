using System.Text.Json;
using TinyLM.Compression;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.IO;

/// <summary>
/// Saves and loads a <see cref="TextClassifier"/> as one <c>.tlm</c> file: config, tokenizer, labels and
/// weights (safetensors layout, PyTorch-style parameter names). Writes are atomic; reads check that
/// the file is a classifier and that every weight has the shape the config implies.
/// </summary>
public static class TextClassifierFile
{
    /// <summary>Writes the model to <paramref name="path"/> (temporary file, then rename).</summary>
    public static void Save(this TextClassifier model, string path) => ModelFile.Save(path, ToContents(model));

    /// <summary>
    /// Writes the model with every tensor that zlib shrinks stored deflated (<see cref="ModelFileContents.DeflateTensors"/>):
    /// the smallest file, for models sized to a byte budget (quantize --max-bytes).
    /// </summary>
    public static void SaveDeflated(this TextClassifier model, string path) => ModelFile.Save(path, Contents(model, null, deflate: true));

    /// <summary>The file contents of <paramref name="model"/>, with <paramref name="extraMetadata"/> added (e.g. checkpoint keys).</summary>
    public static ModelFileContents ToContents(TextClassifier model, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        Contents(model, extraMetadata, deflate: false);

    private static ModelFileContents Contents(TextClassifier model, IReadOnlyDictionary<string, string>? extraMetadata, bool deflate)
    {
        ArgumentNullException.ThrowIfNull(model);
        var formats = model.NamedWeightFormats().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        bool quantized = model.Quantization is not null || formats.Count > 0;
        var metadata = extraMetadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(extraMetadata);
        var contents = new ModelFileContents
        {
            Kind = ModelKind.Classifier,
            ConfigJson = JsonSerializer.Serialize(model.Config, ModelsJsonContext.Default.TextClassifierConfig),
            TokenizerJson = model.Tokenizer.ToJson(),
            Labels = model.Labels.Labels,
            Metadata = metadata,
            DeflateTensors = deflate,
        };
        // A parameter's quantized form when it runs from one, else sparse, float16 or float32.
        var stored = QuantizedTensors.AddParameters(contents, model.NamedParameters(), formats, (name, tensor) =>
        {
            if (SparseTensors.TryAdd(contents, name, tensor, allowHalf: quantized)) return;
            // A quantized model's float tables that hold float16 values (see ClassifierQuantizer) lose nothing as F16.
            if (quantized && HalfPrecision.IsExact(tensor.Contiguous().AsSpan()))
                contents.Tensors.Add(QuantizedTensors.HalfTensor(name, [.. tensor.Shape], tensor.Contiguous().AsSpan()));
            else ModelFileParts.AddWeight(contents, name, tensor);
        });
        if (quantized) metadata[ModelFile.QuantizationKey] = QuantizedTensors.ToJson(ModelType(model, formats, "TextClassifierFile.Save"), stored);
        return contents;
    }

    // The type a quantized model's file records: the one it was quantized to, else (layers quantized by hand) the first layer's.
    private static QuantizationType ModelType(TextClassifier model, Dictionary<string, Kernels.IWeightMatrix> formats, string op)
    {
        if (model.Quantization is null) return QuantizationTypeExtensions.TypeOf(formats.First().Value);
        return QuantizationTypeExtensions.TryParse(model.Quantization, out var type) ? type
            : throw new ArgumentException($"{op}: quantization '{model.Quantization}' is not int8, q8_0, q4_0 or q4_k.");
    }

    /// <summary>Reads a classifier; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static TextClassifier Load(string path) => FromContents(ModelFile.Load(path), path);

    /// <summary>Builds the classifier that <paramref name="contents"/> (read from <paramref name="path"/>) describes.</summary>
    public static TextClassifier FromContents(ModelFileContents contents, string path)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ModelFileParts.RequireKind(contents, path, ModelKind.Classifier, "a text classifier");
        var config = ModelFileParts.ReadConfig(contents, path, ModelsJsonContext.Default.TextClassifierConfig, c => c.Validate(), "classifier");
        var tokenizer = ModelFileParts.ReadTokenizer(path, () => Tokenizers.FromJson(contents.TokenizerJson, path));
        var labels = LabelMap.FromLabels(contents.Labels);
        var model = new TextClassifier(config, tokenizer, labels);
        var quantization = QuantizedTensors.ReadHeader(contents, path);
        var listed = quantization?.Tensors ?? new Dictionary<string, QuantizationType>();
        var quantizable = model.QuantizableParameterNames().ToHashSet(StringComparer.Ordinal);
        var svmWeight = model.LinearSvm?.Weight;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (!listed.TryGetValue(name, out var type))
            {
                if (!SparseTensors.TryLoad(contents, path, name, parameter)) ModelFileParts.LoadWeight(contents, path, name, parameter);
                continue;
            }
            // The SVM head's weight is an int8 table (per row or per class); other layers are int8 per row or blocks.
            bool isSvm = parameter == svmWeight;
            if (!quantizable.Contains(name) || (isSvm && type != QuantizationType.Int8))
                throw NotQuantizable(path, name, type, config);
            model.SetWeightFormat(name, QuantizedTensors.ReadInto(contents, path, name, type, parameter, table: isSvm));
        }
        foreach (var (name, type) in listed)
            if (!quantizable.Contains(name)) throw NotQuantizable(path, name, type, config);
        if (quantization is not null) model.Quantization = quantization.Type.ToName();
        return model;
    }

    private static ModelFormatException NotQuantizable(string path, string name, QuantizationType type, TextClassifierConfig config) =>
        new(path, $"'{ModelFile.QuantizationKey}' lists '{name}' as {type.ToName()}, which is not a quantizable weight of this {config.Encoder} classifier.");
}
