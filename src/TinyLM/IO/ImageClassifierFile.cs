using System.Text.Json;
using TinyLM.Models;

namespace TinyLM.IO;

/// <summary>
/// Saves and loads an <see cref="ImageClassifier"/> as one <c>.tlm</c> file: config, class labels, weights and the
/// batch-norm running statistics (safetensors layout, PyTorch-style names). Writes are atomic; reads check that the
/// file is an image classifier and that every tensor has the shape the config implies.
/// </summary>
public static class ImageClassifierFile
{
    /// <summary>Writes the model to <paramref name="path"/> (temporary file, then rename).</summary>
    public static void Save(this ImageClassifier model, string path) => ModelFile.Save(path, ToContents(model));

    public static ModelFileContents ToContents(ImageClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var contents = new ModelFileContents
        {
            Kind = ModelKind.ImageClassifier,
            ConfigJson = JsonSerializer.Serialize(model.Config, ImageModelsJsonContext.Default.ImageClassifierConfig),
            Labels = model.Labels,
        };
        ModelFileParts.AddWeights(contents, model);
        foreach (var (name, buffer) in model.NamedBuffers()) ModelFileParts.AddWeight(contents, name, buffer);
        return contents;
    }

    /// <summary>Reads an image classifier; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static ImageClassifier Load(string path) => FromContents(ModelFile.Load(path), path);

    public static ImageClassifier FromContents(ModelFileContents contents, string path)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ModelFileParts.RequireKind(contents, path, ModelKind.ImageClassifier, "an image classifier");
        var config = ModelFileParts.ReadConfig(contents, path, ImageModelsJsonContext.Default.ImageClassifierConfig, c => c.Validate(), "image classifier");
        if (contents.Labels.Count != config.Classes)
            throw new ModelFormatException(path, $"{contents.Labels.Count} labels for the config's {config.Classes} classes.");
        var model = new ImageClassifier(config, contents.Labels);
        ModelFileParts.LoadWeights(contents, path, model);
        foreach (var (name, buffer) in model.NamedBuffers()) ModelFileParts.LoadWeight(contents, path, name, buffer);
        return model;
    }
}
