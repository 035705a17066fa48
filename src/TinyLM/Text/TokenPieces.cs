using System.Text;

namespace TinyLM.Text;

/// <summary>
/// The piece of text one token id stands for, written so a person can read it: a word, a character, a sentencepiece
/// piece ("▁the"), a BPE token's bytes. Bytes that are not whole UTF-8 (half a multi-byte character) show as
/// <c>&lt;0xNN&gt;</c> rather than as a replacement character, so two different ids never print alike.
/// </summary>
public static class TokenPieces
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The piece of <paramref name="id"/> under <paramref name="tokenizer"/> (padding as "&lt;pad&gt;").</summary>
    public static string Of(ITokenizer tokenizer, int id)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (id == tokenizer.PadId && tokenizer is WordTokenizer) return "<pad>";
        return tokenizer switch
        {
            WordTokenizer words => words.IdToWord(id),
            CharTokenizer chars => chars.IdToToken(id),
            ByteBpeTokenizer bpe => Readable(bpe.TokenBytes(id)),
            LlamaTokenizer llama => Readable(llama.Piece(id)),
            _ => tokenizer.Decode([id]),
        };
    }

    /// <summary>The pieces of every id, in order.</summary>
    public static string[] Of(ITokenizer tokenizer, ReadOnlySpan<int> ids)
    {
        var pieces = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++) pieces[i] = Of(tokenizer, ids[i]);
        return pieces;
    }

    // Whole UTF-8 as text; anything else byte by byte in the <0xNN> spelling sentencepiece uses for byte pieces.
    private static string Readable(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            var sb = new StringBuilder(bytes.Length * 6);
            foreach (byte b in bytes) sb.Append("<0x").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)).Append('>');
            return sb.ToString();
        }
    }
}
