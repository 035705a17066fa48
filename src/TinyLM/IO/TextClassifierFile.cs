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

    /// <summary>The file contents of <paramref name="model"/>, with <paramref name="extraMetadata"/> added (e.g. checkpoint keys).</summary>
    public static ModelFileContents ToContents(TextClassifier model, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var engine = model.InferenceEngine as QuantizedClassifier;
        if (model.InferenceEngine is not null && engine is null)
            throw new ArgumentException($"TextClassifierFile.Save: inference engine '{model.InferenceEngine.Scheme}' has no file form.");
        var contents = new ModelFileContents
        {
            Kind = ModelKind.Classifier,
            ConfigJson = JsonSerializer.Serialize(model.Config, ModelsJsonContext.Default.TextClassifierConfig),
            TokenizerJson = model.Tokenizer.ToJson(),
            Labels = model.Labels.Labels,
            Metadata = Metadata(engine, extraMetadata),
        };
        foreach (var (name, tensor) in model.NamedParameters())
        {
            if (engine is not null && engine.Weights.TryGetValue(name, out var quantized)) QuantizedTensors.Add(contents, quantized);
            else if (engine?.SvmWeight is { } svm && name == QuantizedClassifier.SvmWeightName) QuantizedTensors.AddInt8Table(contents, name, svm);
            else if (SparseTensors.TryAdd(contents, name, tensor, allowHalf: engine is not null)) continue;
            // A quantized model's float tables that hold float16 values (see ClassifierQuantizer) lose nothing as F16.
            else if (engine is not null && HalfPrecision.IsExact(tensor.Contiguous().AsSpan()))
                contents.Tensors.Add(QuantizedTensors.HalfTensor(name, [.. tensor.Shape], tensor.Contiguous().AsSpan()));
            else ModelFileParts.AddWeight(contents, name, tensor);
        }
        return contents;
    }

    private static Dictionary<string, string> Metadata(QuantizedClassifier? engine, IReadOnlyDictionary<string, string>? extra)
    {
        var metadata = extra is null ? new Dictionary<string, string>() : new Dictionary<string, string>(extra);
        if (engine is not null) metadata[ModelFile.QuantizationKey] = QuantizedTensors.ToJson(engine);
        return metadata;
    }

    /// <summary>Reads a classifier; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static TextClassifier Load(string path) => FromContents(ModelFile.Load(path), path);

    /// <summary>Builds the classifier that <paramref name="contents"/> (read from <paramref name="path"/>) describes.</summary>
    public static TextClassifier FromContents(ModelFileContents contents, string path)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ModelFileParts.RequireKind(contents, path, ModelKind.Classifier, "a text classifier");
        var config = ModelFileParts.ReadConfig(contents, path, ModelsJsonContext.Default.TextClassifierConfig, c => c.Validate(), "classifier");
        var tokenizer = WordTokenizer.FromJson(contents.TokenizerJson, path);
        var labels = LabelMap.FromLabels(contents.Labels);
        var model = new TextClassifier(config, tokenizer, labels);
        var quantization = QuantizedTensors.ReadHeader(contents, path);
        var quantized = new Dictionary<string, QuantizedWeight>();
        var quantizable = QuantizedClassifier.QuantizableNames(model);
        Int8Table? svmWeight = null;
        foreach (var (name, type) in quantization?.Tensors ?? new Dictionary<string, QuantizationType>())
            if (!quantizable.Contains(name) && !(name == QuantizedClassifier.SvmWeightName && model.LinearSvm is not null && type == QuantizationType.Int8))
                throw new ModelFormatException(path, $"'{ModelFile.QuantizationKey}' lists '{name}' as {type.ToName()}, which is not a quantizable weight of this {config.Encoder} classifier.");
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (name == QuantizedClassifier.SvmWeightName && quantization is not null && quantization.Tensors.ContainsKey(name))
            {
                svmWeight = QuantizedTensors.ReadInt8Table(contents, path, name, parameter.Dim(0), parameter.Dim(1));
                svmWeight.Dequantize(parameter.AsSpan());
                continue;
            }
            if (quantization is not null && quantization.Tensors.TryGetValue(name, out var type))
            {
                // The float weights hold the dequantized values, so every code path sees the same model.
                var weight = QuantizedTensors.Read(contents, path, name, type, parameter.Dim(0), parameter.Dim(1));
                weight.Dequantize().CopyTo(parameter.AsSpan());
                quantized[name] = weight;
                continue;
            }
            if (!SparseTensors.TryLoad(contents, path, name, parameter)) ModelFileParts.LoadWeight(contents, path, name, parameter);
        }
        if (quantization is not null)
        {
            try
            {
                model.InferenceEngine = new QuantizedClassifier(model, quantized, quantization.Type, svmWeight);
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException(path, e.Message);
            }
        }
        return model;
    }
}
