using System.Buffers.Binary;
using TinyLM.Text;

namespace TinyLM.IO;

/// <summary>
/// llama2.c <c>tokenizer.bin</c>: int32 max_token_length, then for every piece float32 score, int32 length
/// and that many UTF-8 bytes (little-endian). The file does not store the vocabulary size; run.c takes it
/// from the model, so a reader given <c>expectedVocab</c> checks that the two agree.
/// </summary>
public static class Llama2cTokenizerFile
{
    // A piece longer than this is certainly a corrupt length field, not a token.
    private const int MaxPieceBytes = 1 << 16;

    public static LlamaTokenizer Read(string path, int? expectedVocab = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Read(File.ReadAllBytes(path), path, expectedVocab);
    }

    public static LlamaTokenizer Read(ReadOnlySpan<byte> bytes, string source, int? expectedVocab = null)
    {
        LlamaEndianness.Check(source);
        if (bytes.Length < 4)
            throw new ModelFormatException(source, $"llama2.c tokenizer is truncated: {bytes.Length} bytes, no max_token_length header.");
        int maxLength = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (maxLength <= 0 || maxLength > MaxPieceBytes)
            throw new ModelFormatException(source, $"not a llama2.c tokenizer: max_token_length is {maxLength}.");
        var pieces = new List<byte[]>();
        var scores = new List<float>();
        int offset = 4;
        while (offset < bytes.Length && (expectedVocab is null || pieces.Count < expectedVocab))
        {
            int index = pieces.Count;
            if (bytes.Length - offset < 8)
                throw new ModelFormatException(source, $"llama2.c tokenizer is truncated in the header of piece {index} at byte {offset}.");
            float score = BinaryPrimitives.ReadSingleLittleEndian(bytes[offset..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes[(offset + 4)..]);
            offset += 8;
            if (length < 0 || length > maxLength)
                throw new ModelFormatException(source, $"llama2.c tokenizer: piece {index} at byte {offset - 4} has length {length}, outside [0, max_token_length {maxLength}].");
            if (!float.IsFinite(score))
                throw new ModelFormatException(source, $"llama2.c tokenizer: piece {index} has a non-finite score {score}.");
            if (bytes.Length - offset < length)
                throw new ModelFormatException(source, $"llama2.c tokenizer is truncated inside piece {index}: {length} bytes announced, {bytes.Length - offset} left.");
            pieces.Add(bytes.Slice(offset, length).ToArray());
            scores.Add(score);
            offset += length;
        }
        if (expectedVocab is { } v && (pieces.Count != v || offset != bytes.Length))
            throw new ModelFormatException(source, $"vocabulary mismatch: the llama2.c tokenizer has {(pieces.Count != v ? pieces.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "more than " + v)} pieces but the model's vocabulary has {v}.");
        if (offset != bytes.Length)
            throw new ModelFormatException(source, $"llama2.c tokenizer has {bytes.Length - offset} unexpected bytes after its {pieces.Count} pieces.");
        if (pieces.Count < 3)
            throw new ModelFormatException(source, $"llama2.c tokenizer has {pieces.Count} pieces; <unk>, BOS and EOS (ids 0-2) are required.");
        return new LlamaTokenizer(pieces, scores);
    }

    /// <summary>Writes <paramref name="tokenizer"/> atomically in llama2.c's format.</summary>
    public static void Write(string path, LlamaTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        AtomicFile.WriteAllBytes(path, Serialize(tokenizer));
    }

    public static byte[] Serialize(LlamaTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int maxLength = 1;
        long total = 4;
        for (int i = 0; i < tokenizer.VocabSize; i++)
        {
            maxLength = Math.Max(maxLength, tokenizer.Piece(i).Length);
            total += 8 + tokenizer.Piece(i).Length;
        }
        var bytes = new byte[total];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, maxLength);
        int offset = 4;
        for (int i = 0; i < tokenizer.VocabSize; i++)
        {
            ReadOnlySpan<byte> piece = tokenizer.Piece(i);
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(offset), tokenizer.Score(i));
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset + 4), piece.Length);
            piece.CopyTo(bytes.AsSpan(offset + 8));
            offset += 8 + piece.Length;
        }
        return bytes;
    }
}
