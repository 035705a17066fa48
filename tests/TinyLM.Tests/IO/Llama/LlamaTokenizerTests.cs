using System.Text;
using TinyLM.IO;
using TinyLM.Text;

namespace TinyLM.Tests.IO.Llama;

public class LlamaTokenizerTests
{
    private static readonly LlamaTokenizer _tok = LlamaFixtures.Tokenizer();

    private int Id(string piece)
    {
        for (int i = 0; i < _tok.VocabSize; i++)
            if (_tok.Piece(i).SequenceEqual(Encoding.UTF8.GetBytes(piece))) return i;
        throw new KeyNotFoundException(piece);
    }

    [Fact]
    public void Encode_AddsBosAndDummyPrefix_AndMergesByScore()
    {
        int[] ids = _tok.Encode("the cat sat", addBos: true, addEos: false);
        // " the" is the best merge reachable from " ", "t", "h", "e"; " cat" and " sat" likewise.
        Assert.Equal([1, Id(" the"), Id(" cat"), Id(" sat")], ids);
        Assert.Equal([Id(" the"), 2], _tok.Encode("the", addBos: false, addEos: true));
    }

    [Fact]
    public void Encode_PrefersHigherScoreOverLeftmost()
    {
        // "th" (score -1) beats "he" (-2) although both are available at the start.
        int[] ids = _tok.Encode("the", addBos: false, addEos: false);
        Assert.Equal([Id(" the")], ids);
        int[] noSpace = _tok.Encode("xhe", addBos: false, addEos: false);
        Assert.Equal([Id(" "), Id("x"), Id("he")], noSpace);
    }

    [Fact]
    public void Encode_UnknownCharacters_FallBackToBytePieces()
    {
        int[] ids = _tok.Encode("é€", addBos: false, addEos: false);
        byte[] utf8 = Encoding.UTF8.GetBytes("é€");
        Assert.Equal([Id(" "), .. utf8.Select(b => 3 + b)], ids);
        Assert.Equal("é€", _tok.Decode([1, .. ids]));
    }

    [Fact]
    public void Encode_EmptyText_IsJustBos()
    {
        Assert.Equal([1], _tok.Encode("", addBos: true, addEos: false));
        Assert.Empty(_tok.Encode(""));
    }

    [Fact]
    public void Encode_LoneSurrogate_IsAClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => _tok.Encode("a\ud800b"));
        Assert.Contains("surrogate", ex.Message);
    }

    [Theory]
    [InlineData("the cat sat on the mat.")]
    [InlineData("Hello, World! 123 ~")]
    [InlineData("naïve café – ünïcödé 🙂")]
    [InlineData("  two  spaces\nand a newline")]
    public void DecodeOfEncode_IsIdentity(string text)
    {
        Assert.Equal(text, _tok.Decode(_tok.Encode(text, addBos: true, addEos: false)));
        Assert.Equal(" " + text, _tok.Decode(_tok.Encode(text))); // without BOS the dummy prefix stays
    }

    [Fact]
    public void Decode_KeepsLeadingSpaceWithoutBos_AndSkipsControls()
    {
        Assert.Equal(" the", _tok.Decode([Id(" the")]));
        Assert.Equal("the", _tok.Decode([1, Id(" the"), 2]));
        Assert.Equal("A", _tok.Decode([3 + 'A']));
    }

    [Fact]
    public void Json_RoundTrip_ThroughTokenizersFromJson()
    {
        ITokenizer back = Tokenizers.FromJson(_tok.ToJson());
        var llama = Assert.IsType<LlamaTokenizer>(back);
        Assert.Equal(_tok.VocabSize, llama.VocabSize);
        Assert.Equal(_tok.Encode("the cat sat, naïvely"), llama.Encode("the cat sat, naïvely"));
        for (int i = 0; i < _tok.VocabSize; i++)
        {
            Assert.True(_tok.Piece(i).SequenceEqual(llama.Piece(i)));
            Assert.Equal(_tok.Score(i), llama.Score(i));
        }
    }

    [Fact]
    public void TokenizerBin_RoundTrip()
    {
        using var dir = new ScratchDir();
        string path = dir.File("tokenizer.bin");
        Llama2cTokenizerFile.Write(path, _tok);
        LlamaTokenizer back = Llama2cTokenizerFile.Read(path, _tok.VocabSize);
        Assert.Equal(Llama2cTokenizerFile.Serialize(_tok), Llama2cTokenizerFile.Serialize(back));
        Assert.Equal(_tok.Encode("and one cat"), back.Encode("and one cat"));
    }

    [Fact]
    public void TokenizerBin_Layout_MatchesLlama2c()
    {
        var tok = new LlamaTokenizer([[.. "<unk>"u8], [.. "\n<s>\n"u8], [.. "\n</s>\n"u8], [.. "ab"u8]], [0f, 0f, 0f, -2.5f]);
        byte[] bytes = Llama2cTokenizerFile.Serialize(tok);
        Assert.Equal(6, BitConverter.ToInt32(bytes, 0)); // max_token_length
        int last = bytes.Length - (8 + 2);
        Assert.Equal(-2.5f, BitConverter.ToSingle(bytes, last));
        Assert.Equal(2, BitConverter.ToInt32(bytes, last + 4));
        Assert.Equal("ab"u8.ToArray(), bytes[^2..]);
    }

    [Fact]
    public void TokenizerBin_BadFiles_AreClearErrors()
    {
        byte[] good = Llama2cTokenizerFile.Serialize(_tok);
        var truncated = Assert.Throws<ModelFormatException>(() => Llama2cTokenizerFile.Read(good.AsSpan(0, good.Length - 3), "tok.bin"));
        Assert.Contains("truncated", truncated.Message);
        Assert.StartsWith("tok.bin", truncated.Message);
        var mismatch = Assert.Throws<ModelFormatException>(() => Llama2cTokenizerFile.Read(good, "tok.bin", _tok.VocabSize + 1));
        Assert.Contains("vocabulary", mismatch.Message);
        Assert.Throws<ModelFormatException>(() => Llama2cTokenizerFile.Read([1, 2], "tok.bin"));
        byte[] badLength = (byte[])good.Clone();
        BitConverter.GetBytes(1 << 20).CopyTo(badLength, 4 + 4);
        Assert.Contains("length", Assert.Throws<ModelFormatException>(() => Llama2cTokenizerFile.Read(badLength, "tok.bin")).Message);
        Assert.Contains("max_token_length", Assert.Throws<ModelFormatException>(() => Llama2cTokenizerFile.Read(new byte[8], "tok.bin")).Message);
    }
}
