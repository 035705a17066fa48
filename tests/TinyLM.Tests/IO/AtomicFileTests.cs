using System.Text;
using TinyLM.IO;

namespace TinyLM.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = SafeTensorsTestData.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_writer_that_throws_midway_leaves_the_old_file_and_no_temp_file()
    {
        string path = Path.Combine(_dir, "out.tlm");
        File.WriteAllText(path, "old contents");
        var boom = new InvalidOperationException("disk full (simulated)");
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw boom;
        }));
        Assert.Same(boom, ex);
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_writer_that_throws_leaves_no_file_when_there_was_none()
    {
        string path = Path.Combine(_dir, "new.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new IOException("simulated");
        }));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Replaces_existing_file_and_creates_missing_folders()
    {
        string path = Path.Combine(_dir, "a", "b", "c.txt");
        AtomicFile.WriteAllText(path, "first");
        AtomicFile.WriteAllText(path, "second, longer than the first");
        Assert.Equal("second, longer than the first", File.ReadAllText(path));
        AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void Text_is_utf8_without_bom()
    {
        string path = Path.Combine(_dir, "t.json");
        AtomicFile.WriteAllText(path, "é");
        Assert.Equal(Encoding.UTF8.GetBytes("é"), File.ReadAllBytes(path));
    }

    [Fact]
    public void A_writer_that_disposes_the_stream_still_commits()
    {
        string path = Path.Combine(_dir, "w.bin");
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream);
            w.Write(0x01020304);
        });
        Assert.Equal([4, 3, 2, 1], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Refuses_to_overwrite_a_folder()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "folder"));
        Assert.Throws<IOException>(() => AtomicFile.WriteAllText(Path.Combine(_dir, "folder"), "x"));
    }
}
