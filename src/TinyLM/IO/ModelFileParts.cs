using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using TinyLM.Nn;
using TinyLM.Tensors;

namespace TinyLM.IO;

/// <summary>
/// The steps every model-file reader and writer shares: checking the kind, reading a validated config,
/// and moving float weights between a module and the file with shape checks that name the file.
/// </summary>
public static class ModelFileParts
{
    /// <summary>Fails unless the file holds a model of <paramref name="expected"/> kind.</summary>
    public static void RequireKind(ModelFileContents contents, string path, ModelKind expected, string description)
    {
        ArgumentNullException.ThrowIfNull(contents);
        if (contents.Kind != expected)
            throw new ModelFormatException(path, $"holds a {contents.Kind.ToFileName()} model, not {description}.");
    }

    /// <summary>Deserializes and validates the config; any problem is reported against the file.</summary>
    public static T ReadConfig<T>(ModelFileContents contents, string path, JsonTypeInfo<T> typeInfo, Action<T> validate, string what)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(validate);
        try
        {
            var config = JsonSerializer.Deserialize(contents.ConfigJson, typeInfo) ?? throw new JsonException("null config");
            validate(config);
            return config;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ModelFormatException(path, $"invalid {what} config: {e.Message}");
        }
    }

    /// <summary>
    /// Runs a tokenizer's JSON reader on the file's tokenizer entry. The Text layer reports a bad tokenizer as a
    /// <see cref="Text.DataFormatException"/>; a model file's caller expects <see cref="ModelFormatException"/> for every fault
    /// of the file, so it is re-thrown as one, naming the file.
    /// </summary>
    public static T ReadTokenizer<T>(string path, Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        catch (Text.DataFormatException e)
        {
            throw new ModelFormatException(path, $"invalid tokenizer: {e.Problem}", e);
        }
    }

    /// <summary>Adds every parameter of <paramref name="model"/> as a float32 tensor under its dotted name.</summary>
    public static void AddWeights(ModelFileContents contents, Module model)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, tensor) in model.NamedParameters())
            AddWeight(contents, name, tensor);
    }

    /// <summary>Adds one parameter as a float32 tensor.</summary>
    public static void AddWeight(ModelFileContents contents, string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(tensor);
        contents.AddFloats(name, tensor.Shape.ToArray(), tensor.Contiguous().AsSpan());
    }

    /// <summary>Copies every stored weight into <paramref name="model"/>'s parameters, checking names and shapes.</summary>
    public static void LoadWeights(ModelFileContents contents, string path, Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, parameter) in model.NamedParameters())
            LoadWeight(contents, path, name, parameter);
    }

    /// <summary>Copies one stored weight into <paramref name="parameter"/>; a missing or misshapen weight names the file.</summary>
    public static void LoadWeight(ModelFileContents contents, string path, string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ArgumentNullException.ThrowIfNull(parameter);
        if (!contents.TryGetTensor(name, out var stored))
            throw new ModelFormatException(path, $"weight '{name}' is missing.");
        var expected = parameter.Shape.ToArray();
        if (!stored.Shape.SequenceEqual(expected))
            throw new ModelFormatException(path,
                $"weight '{name}' has shape [{string.Join(", ", stored.ShapeArray())}], the config implies [{string.Join(", ", expected)}].");
        stored.ToFloatArray().CopyTo(parameter.AsSpan());
    }
}
