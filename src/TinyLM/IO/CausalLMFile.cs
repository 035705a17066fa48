using System.Globalization;
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
    private const string BosKey = "causal_lm.bos_id";
    private const string EosKey = "causal_lm.eos_id";

    private static int? OptionalId(ModelFileContents contents, string key, string path)
    {
        if (!contents.Metadata.TryGetValue(key, out var text)) return null;
        return int.TryParse(text, CultureInfo.InvariantCulture, out int id) ? id : throw new ModelFormatException(path, $"metadata {key} = '{text}' is not an integer.");
    }

    /// <summary>Writes model and tokenizer to <paramref name="path"/> (temporary file, then rename).</summary>
    public static void Save(this LanguageModel lm, string path) => ModelFile.Save(path, ToContents(lm));

    /// <summary>Reads a language model; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static LanguageModel Load(string path) => FromContents(ModelFile.Load(path), path);

    /// <summary>The file contents for <paramref name="lm"/>: config, tokenizer, BOS/EOS ids and every weight.</summary>
    public static ModelFileContents ToContents(LanguageModel lm, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(lm);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>());
        if (lm.BosId is int bos) meta[BosKey] = bos.ToString(CultureInfo.InvariantCulture);
        if (lm.EosId is int eos) meta[EosKey] = eos.ToString(CultureInfo.InvariantCulture);
        var contents = new ModelFileContents
        {
            Kind = ModelKind.CausalLm,
            ConfigJson = JsonSerializer.Serialize(lm.Model.Config, CausalLMJsonContext.Default.CausalLMConfig),
            TokenizerJson = lm.Tokenizer.ToJson(),
            Metadata = meta,
        };
        foreach (var (name, tensor) in lm.Model.NamedParameters())
            contents.AddFloats(name, tensor.Shape.ToArray(), tensor.Contiguous().AsSpan());
        return contents;
    }

    /// <summary>Builds the model that <paramref name="contents"/> (read from <paramref name="path"/>) describes.</summary>
    public static LanguageModel FromContents(ModelFileContents contents, string path)
    {
        ArgumentNullException.ThrowIfNull(contents);
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
            return new LanguageModel(model, tokenizer, path) { BosId = OptionalId(contents, BosKey, path), EosId = OptionalId(contents, EosKey, path) };
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, e.Message);
        }
    }
}
