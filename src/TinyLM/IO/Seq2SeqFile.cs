using System.Text.Json;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.IO;

/// <summary>
/// Saves and loads a <see cref="Seq2SeqModel"/> as one <c>.tlm</c> file (kind <c>seq2seq</c>): config, the source
/// tokenizer (tinylm.tokenizer), the target tokenizer when the vocabulary is not shared (metadata
/// <see cref="TargetTokenizerKey"/>) and the weights. Writes are atomic; reads check the kind and every shape.
/// </summary>
public static class Seq2SeqFile
{
    /// <summary>Metadata key of the target tokenizer's JSON (absent with a shared vocabulary).</summary>
    public const string TargetTokenizerKey = "seq2seq.target_tokenizer";

    /// <summary>Writes the model to <paramref name="path"/> (temporary file, then rename).</summary>
    public static void Save(this Seq2SeqModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var metadata = new Dictionary<string, string>();
        if (!model.Config.SharedVocab) metadata[TargetTokenizerKey] = model.TargetTokenizer.ToJson();
        var contents = new ModelFileContents
        {
            Kind = ModelKind.Seq2Seq,
            ConfigJson = JsonSerializer.Serialize(model.Config, Seq2SeqJsonContext.Default.Seq2SeqConfig),
            TokenizerJson = model.SourceTokenizer.ToJson(),
            Metadata = metadata,
        };
        foreach (var (name, tensor) in model.NamedParameters())
            contents.AddFloats(name, tensor.Shape.ToArray(), tensor.Contiguous().AsSpan());
        ModelFile.Save(path, contents);
    }

    /// <summary>Reads a translation model; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static Seq2SeqModel Load(string path)
    {
        var contents = ModelFile.Load(path);
        if (contents.Kind != ModelKind.Seq2Seq)
            throw new ModelFormatException(path, $"holds a {contents.Kind.ToFileName()} model, not a translation (seq2seq) model.");
        Seq2SeqConfig config;
        try
        {
            config = JsonSerializer.Deserialize(contents.ConfigJson, Seq2SeqJsonContext.Default.Seq2SeqConfig)
                     ?? throw new JsonException("null config");
            config.Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ModelFormatException(path, $"invalid seq2seq config: {e.Message}");
        }
        var source = ByteBpeTokenizer.FromJson(contents.TokenizerJson, path);
        ByteBpeTokenizer target = source;
        if (!config.SharedVocab)
        {
            if (!contents.Metadata.TryGetValue(TargetTokenizerKey, out var json))
                throw new ModelFormatException(path, $"the vocabulary is not shared but '{TargetTokenizerKey}' is missing.");
            target = ByteBpeTokenizer.FromJson(json, path);
        }
        var model = Seq2SeqModel.Create(config, source, target);
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
        model.Eval();
        return model;
    }
}
