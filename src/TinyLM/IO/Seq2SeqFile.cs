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
    public static void Save(this Seq2SeqModel model, string path) => ModelFile.Save(path, ToContents(model, []));

    /// <summary>The model as file contents, with <paramref name="metadata"/> added (e.g. a checkpoint's).</summary>
    internal static ModelFileContents ToContents(Seq2SeqModel model, Dictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.Config.SharedVocab) metadata[TargetTokenizerKey] = model.TargetTokenizer.ToJson();
        var contents = new ModelFileContents
        {
            Kind = ModelKind.Seq2Seq,
            ConfigJson = JsonSerializer.Serialize(model.Config, Seq2SeqJsonContext.Default.Seq2SeqConfig),
            TokenizerJson = model.SourceTokenizer.ToJson(),
            Metadata = metadata,
        };
        ModelFileParts.AddWeights(contents, model);
        return contents;
    }

    /// <summary>Reads a translation model; a truncated, foreign or mismatched file fails with a message naming it.</summary>
    public static Seq2SeqModel Load(string path) => FromContents(ModelFile.Load(path), path);

    /// <summary>The model held by file contents read from <paramref name="path"/>.</summary>
    public static Seq2SeqModel FromContents(ModelFileContents contents, string path)
    {
        ModelFileParts.RequireKind(contents, path, ModelKind.Seq2Seq, "a translation (seq2seq) model");
        var config = ModelFileParts.ReadConfig(contents, path, Seq2SeqJsonContext.Default.Seq2SeqConfig, c => c.Validate(), "seq2seq");
        var source = ModelFileParts.ReadTokenizer(path, () => ByteBpeTokenizer.FromJson(contents.TokenizerJson, path));
        ByteBpeTokenizer target = source;
        if (!config.SharedVocab)
        {
            if (!contents.Metadata.TryGetValue(TargetTokenizerKey, out var json))
                throw new ModelFormatException(path, $"the vocabulary is not shared but '{TargetTokenizerKey}' is missing.");
            target = ModelFileParts.ReadTokenizer(path, () => ByteBpeTokenizer.FromJson(json, path));
        }
        var model = Seq2SeqModel.Create(config, source, target);
        ModelFileParts.LoadWeights(contents, path, model);
        model.Eval();
        return model;
    }
}
