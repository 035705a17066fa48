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
    public static void Save(this TextClassifier model, string path)
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
            Metadata = engine is null ? new Dictionary<string, string>() : new() { [ModelFile.QuantizationKey] = QuantizedTensors.ToJson(engine) },
        };
        foreach (var (name, tensor) in model.NamedParameters())
        {
            if (engine is not null && engine.Weights.TryGetValue(name, out var quantized)) QuantizedTensors.Add(contents, quantized);
            else contents.AddFloats(name, tensor.Shape.ToArray(), tensor.Contiguous().AsSpan());
        }
        ModelFile.Save(path, contents);
    }

    /// <summary>Reads a classifier; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static TextClassifier Load(string path)
    {
        var contents = ModelFile.Load(path);
        if (contents.Kind != ModelKind.Classifier)
            throw new ModelFormatException(path, $"holds a {contents.Kind.ToFileName()} model, not a text classifier.");
        TextClassifierConfig config;
        try
        {
            config = JsonSerializer.Deserialize(contents.ConfigJson, ModelsJsonContext.Default.TextClassifierConfig)
                     ?? throw new JsonException("null config");
            config.Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ModelFormatException(path, $"invalid classifier config: {e.Message}");
        }
        var tokenizer = WordTokenizer.FromJson(contents.TokenizerJson, path);
        var labels = LabelMap.FromLabels(contents.Labels);
        var model = new TextClassifier(config, tokenizer, labels);
        var quantization = QuantizedTensors.ReadHeader(contents, path);
        var quantized = new Dictionary<string, QuantizedWeight>();
        var quantizable = QuantizedClassifier.QuantizableNames(model);
        foreach (var name in quantization?.Tensors.Keys ?? Enumerable.Empty<string>())
            if (!quantizable.Contains(name))
                throw new ModelFormatException(path, $"'{ModelFile.QuantizationKey}' lists '{name}', which is not a quantizable weight of this {config.Encoder} classifier.");
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (quantization is not null && quantization.Tensors.TryGetValue(name, out var type))
            {
                // The float weights hold the dequantized values, so every code path sees the same model.
                var weight = QuantizedTensors.Read(contents, path, name, type, parameter.Dim(0), parameter.Dim(1));
                weight.Dequantize().CopyTo(parameter.AsSpan());
                quantized[name] = weight;
                continue;
            }
            if (!contents.TryGetTensor(name, out var stored))
                throw new ModelFormatException(path, $"weight '{name}' is missing.");
            var expected = parameter.Shape.ToArray();
            if (!stored.Shape.SequenceEqual(expected))
                throw new ModelFormatException(path,
                    $"weight '{name}' has shape [{string.Join(", ", stored.ShapeArray())}], the config implies [{string.Join(", ", expected)}].");
            stored.ToFloatArray().CopyTo(parameter.AsSpan());
        }
        if (quantization is not null)
        {
            try
            {
                model.InferenceEngine = new QuantizedClassifier(model, quantized, quantization.Type);
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException(path, e.Message);
            }
        }
        return model;
    }
}
