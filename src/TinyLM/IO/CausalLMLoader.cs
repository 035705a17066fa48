using TinyLM.Models;

namespace TinyLM.IO;

/// <summary>
/// Opens any language-model file the CLI can generate from, choosing the reader by file type: a TinyLM
/// <c>.tlm</c> (tokenizer inside). Other formats (llama2.c <c>.bin</c> + <c>tokenizer.bin</c>, …) plug in here:
/// add a branch that returns a <see cref="TokenizedCausalLM"/>.
/// </summary>
public static class CausalLMLoader
{
    /// <summary>
    /// Loads <paramref name="path"/>; <paramref name="tokenizerPath"/> names a separate tokenizer file for formats
    /// that do not carry one (a .tlm ignores it only when null; otherwise it is an error to give one).
    /// </summary>
    public static TokenizedCausalLM Load(string path, string? tokenizerPath = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file.", path);
        if (IsTinyLMFile(path))
        {
            if (tokenizerPath is not null)
                throw new ArgumentException($"{path}: a .tlm model carries its own tokenizer; do not pass --tokenizer {tokenizerPath}.");
            return CausalLMFile.Load(path);
        }
        return LlamaModelFiles.TryLoad(path, tokenizerPath)
            ?? throw new ModelFormatException(path, "is not a TinyLM .tlm, GGUF or llama2.c (.bin) language model (unknown file type).");
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a TinyLM model file (a .tlm, of any kind) rather than a GGUF or llama2.c file:
    /// a safetensors file, an 8-byte little-endian header length, then a JSON header starting with '{'.
    /// </summary>
    public static bool IsTinyLMFile(string path)
    {
        if (path.EndsWith(ModelFile.Extension, StringComparison.OrdinalIgnoreCase)) return true;
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        return stream.Read(head) == 9 && head[8] == (byte)'{';
    }
}
