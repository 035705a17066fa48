using TinyLM.Cli.Common;
using TinyLM.IO;
using TinyLM.Text;

namespace TinyLM.Cli.Insight;

/// <summary>
/// Opens a model file of any text kind for the verbs that only need its tokenizer's view of a text: a .tlm classifier,
/// causal LM or translator, or a GGUF / llama2.c language model (the latter with <c>--tokenizer</c>).
/// </summary>
internal static class AnyModel
{
    /// <summary>The ids the model reads for <paramref name="text"/>, and the piece each stands for.</summary>
    public static (int[] Ids, string[] Pieces) Tokenize(string path, string? tokenizerPath, string text)
    {
        if (!File.Exists(path)) throw new CliError($"{path}: no such model file.");
        if (!CausalLMLoader.IsTinyLMFile(path))
        {
            // GGUF or llama2.c: what generate feeds the network, BOS included.
            var lm = CausalLMLoader.Load(path, tokenizerPath);
            var ids = new Models.Generation.Generator(lm).EncodePrompt(text);
            return (ids, TokenPieces.Of(lm.Tokenizer, ids));
        }
        if (tokenizerPath is not null) throw new CliError($"{path}: a .tlm model carries its own tokenizer; do not pass --tokenizer {tokenizerPath}.", ExitCodes.Usage);
        var contents = ModelFile.Load(path);
        switch (contents.Kind)
        {
            case ModelKind.Classifier:
            {
                var classifier = TextClassifierFile.FromContents(contents, path);
                var ids = classifier.Inputs.Encode(text);
                return (ids, Training.Insight.ClassifierPieces.Of(classifier, ids));
            }
            case ModelKind.CausalLM:
            {
                var lm = CausalLMFile.FromContents(contents, path);
                var ids = new Models.Generation.Generator(lm).EncodePrompt(text);
                return (ids, TokenPieces.Of(lm.Tokenizer, ids));
            }
            case ModelKind.Seq2Seq:
            {
                // What the encoder reads (the source side, with its end-of-sentence token).
                var translator = Seq2SeqFile.Load(path);
                var ids = translator.EncodeSource(text);
                return (ids, TokenPieces.Of(translator.SourceTokenizer, ids));
            }
            default:
                throw new CliError($"{path}: tokenize reads text models (classifier, causal-lm, seq2seq); this file holds a {contents.Kind.ToFileName()} model.");
        }
    }
}
