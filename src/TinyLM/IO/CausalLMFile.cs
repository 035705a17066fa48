using System.Text.Json;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.IO;

/// <summary>
/// Saves and loads a <see cref="CausalLM"/> with its tokenizer as one <c>.tlm</c> file (kind causal-lm): config
/// JSON, tokenizer JSON and weights under their llama-style names (see <see cref="CausalLM"/>). Writes are atomic;
/// reads check the kind, the config and every weight's shape.
/// </summary>
public static class CausalLMFile
{
    /// <summary>Writes model and tokenizer to <paramref name="path"/> (temporary file, then rename).</summary>
    public static void Save(this LanguageModel lm, string path)
    {
        ArgumentNullException.ThrowIfNull(lm);
        var contents = new ModelFileContents
        {
            Kind = ModelKind.CausalLm,
            ConfigJson = JsonSerializer.Serialize(lm.Model.Config, CausalLMJsonContext.Default.CausalLMConfig),
            TokenizerJson = lm.Tokenizer.ToJson(),
        };
        foreach (var (name, tensor) in lm.Model.NamedParameters())
            contents.AddFloats(name, tensor.Shape.ToArray(), tensor.Contiguous().AsSpan());
        ModelFile.Save(path, contents);
    }

    /// <summary>Reads a language model; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static LanguageModel Load(string path)
    {
        var contents = ModelFile.Load(path);
        if (contents.Kind != ModelKind.CausalLm)
            throw new ModelFormatException(path, $"holds a {contents.Kind.ToFileName()} model, not a causal language model.");
        CausalLMConfig config;
        try
        {
            config = JsonSerializer.Deserialize(contents.ConfigJson, CausalLMJsonContext.Default.CausalLMConfig)
                     ?? throw new JsonException("null config");
            config.Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ModelFormatException(path, $"invalid causal-lm config: {e.Message}");
        }
        var tokenizer = Tokenizers.FromJson(contents.TokenizerJson, path);
        var model = new CausalLM(config);
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
        try
        {
            return new LanguageModel(model, tokenizer, path);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, e.Message);
        }
    }
}
