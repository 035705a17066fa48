namespace TinyLM.IO;

/// <summary>
/// llama2.c checkpoints and GGUF files are little-endian and both are read and written by
/// reinterpreting memory, so each refuses a big-endian machine up front instead of producing
/// byte-swapped weights. Kept here so neither format has to call into the other.
/// </summary>
internal static class LlamaEndianness
{
    public static void Check(string source)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException($"{source}: llama2.c and GGUF files are little-endian; this machine is big-endian.");
    }
}
