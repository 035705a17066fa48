using TinyLM.IO;
using TinyLM.Training.Vectors;

namespace TinyLM.Tests.IO;

public sealed class VecFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vec").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text) { string p = Path.Combine(_dir, Guid.NewGuid() + ".vec"); File.WriteAllText(p, text); return p; }

    [Fact]
    public void Round_trip_keeps_words_and_values()
    {
        var v = new WordVectors(["the", "café", "x"], 3, [0.5f, -1.25f, 3e-5f, 1f, 2f, 3f, -0.1234567f, 0f, 7f]);
        string path = Path.Combine(_dir, "out.vec");
        VecFile.Write(path, v);
        Assert.StartsWith("3 3\nthe 0.5 -1.25 ", File.ReadAllText(path));
        WordVectors back = VecFile.Read(path);
        Assert.Equal(v.Words, back.Words);
        Assert.Equal(3, back.Dim);
        for (int i = 0; i < v.Values.Length; i++) Assert.Equal(v.Values[i], back.Values[i], 5e-6f);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void GloVe_layout_without_header_is_read()
    {
        WordVectors v = VecFile.Read(Write("a 1 2\nb 3 4\n"));
        Assert.Equal(["a", "b"], v.Words);
        Assert.Equal(2, v.Dim);
        Assert.Equal([1f, 2f, 3f, 4f], v.Values);
    }

    [Theory]
    [InlineData("2 3\na 1 2 3\nb 1 2\n", ":3: expected 3 numbers after 'b', found 2")]
    [InlineData("a 1 2\nb 1 x\n", ":2: expected a number in column 3, found 'x'")]
    [InlineData("a 1 2\nb 1 NaN\n", ":2: expected a number in column 3, found 'NaN'")]
    [InlineData("3 2\na 1 2\n", "the header declares 3 words, the file has 1")]
    [InlineData("a\n", ":1: expected a word followed by numbers")]
    [InlineData("", "expected word vectors, found none")]
    public void Bad_files_name_the_file_line_and_what_was_expected(string text, string expected)
    {
        string path = Write(text);
        var ex = Assert.Throws<VecFormatException>(() => VecFile.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
