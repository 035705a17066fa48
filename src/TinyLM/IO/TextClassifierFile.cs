using System.Text.Json;
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
        var contents = new ModelFileContents
        {
            Kind = ModelKind.Classifier,
            ConfigJson = JsonSerializer.Serialize(model.Config, ModelsJsonContext.Default.TextClassifierConfig),
            TokenizerJson = model.Tokenizer.ToJson(),
            Labels = model.Labels.Labels,
        };
        foreach (var (name, tensor) in model.NamedParameters())
            contents.AddFloats(name, tensor.Shape.ToArray(), tensor.Contiguous().AsSpan());
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
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (!contents.TryGetTensor(name, out var stored))
                throw new ModelFormatException(path, $"weight '{name}' is missing.");
            var expected = parameter.Shape.ToArray();
            if (!stored.Shape.SequenceEqual(expected))
                throw new ModelFormatException(path,
                    $"weight '{name}' has shape [{string.Join(", ", stored.ShapeArray())}], the config implies [{string.Join(", ", expected)}].");
            stored.ToFloatArray().CopyTo(parameter.AsSpan());
        }
        return model;
    }
}
