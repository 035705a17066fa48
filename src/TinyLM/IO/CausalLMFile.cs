using System.Globalization;
using System.Text.Json;
using TinyLM.Compression;
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
    public static void Save(this TokenizedCausalLM lm, string path) => ModelFile.Save(path, ToContents(lm));

    /// <summary>Reads a language model; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static TokenizedCausalLM Load(string path) => FromContents(ModelFile.Load(path), path);

    /// <summary>The file contents for <paramref name="lm"/>: config, tokenizer, BOS/EOS ids and every weight.</summary>
    public static ModelFileContents ToContents(TokenizedCausalLM lm, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(lm);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>());
        if (lm.BosId is int bos) meta[BosKey] = bos.ToString(CultureInfo.InvariantCulture);
        if (lm.EosId is int eos) meta[EosKey] = eos.ToString(CultureInfo.InvariantCulture);
        var contents = new ModelFileContents
        {
            Kind = ModelKind.CausalLM,
            ConfigJson = JsonSerializer.Serialize(lm.Model.Config, CausalLMJsonContext.Default.CausalLMConfig),
            TokenizerJson = lm.Tokenizer.ToJson(),
            Metadata = meta,
        };
        if (!lm.Model.HasQuantizedWeights)
        {
            ModelFileParts.AddWeights(contents, lm.Model);
            return contents;
        }
        var formats = lm.Model.NamedWeightFormats().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var stored = QuantizedTensors.AddParameters(contents, lm.Model.NamedParameters(), formats, (name, tensor) => ModelFileParts.AddWeight(contents, name, tensor));
        meta[ModelFile.QuantizationKey] = QuantizedTensors.ToJson(CausalLMQuantizer.TypeOf(lm.Model), stored);
        return contents;
    }

    // Quantized tensors are read as blocks (the kernels run them) and dequantized into the float weights, so every
    // code path sees the same model.
    private static void LoadQuantized(ModelFileContents contents, string path, CausalLM model, QuantizedTensors.Header header)
    {
        var quantizable = CausalLMQuantizer.QuantizableNames(model, embeddings: true);
        foreach (var name in header.Tensors.Keys)
            if (!quantizable.Contains(name))
                throw new ModelFormatException(path, $"'{ModelFile.QuantizationKey}' lists '{name}', which is not a quantizable matrix of this model.");
        foreach (var (name, parameter) in model.NamedParameters().ToList())
        {
            if (header.Tensors.TryGetValue(name, out var type)) model.SetWeightFormat(name, QuantizedTensors.ReadInto(contents, path, name, type, parameter));
            else ModelFileParts.LoadWeight(contents, path, name, parameter);
        }
    }

    /// <summary>Builds the model that <paramref name="contents"/> (read from <paramref name="path"/>) describes.</summary>
    public static TokenizedCausalLM FromContents(ModelFileContents contents, string path)
    {
        ArgumentNullException.ThrowIfNull(contents);
        ModelFileParts.RequireKind(contents, path, ModelKind.CausalLM, "a causal language model");
        var config = ModelFileParts.ReadConfig(contents, path, CausalLMJsonContext.Default.CausalLMConfig, c => c.Validate(), "causal-lm");
        var tokenizer = ModelFileParts.ReadTokenizer(path, () => Tokenizers.FromJson(contents.TokenizerJson, path));
        CausalLMFileChecks.Check(config, contents, path);
        var model = new CausalLM(config);
        if (QuantizedTensors.ReadHeader(contents, path) is { } quantization) LoadQuantized(contents, path, model, quantization);
        else ModelFileParts.LoadWeights(contents, path, model);
        try
        {
            return new TokenizedCausalLM(model, tokenizer, path) { BosId = OptionalId(contents, BosKey, path), EosId = OptionalId(contents, EosKey, path) };
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, e.Message);
        }
    }
}
