using TinyLM.IO;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.Reliability;

/// <summary>
/// Issue 16: a save that fails — the disk fills up mid-write, the folder refuses new files, the rename fails — leaves
/// the previous file byte for byte as it was and no temporary file behind. The failures come from a file-system seam
/// (<see cref="AtomicFile.FileSystem"/>) so they happen on every machine, without root or a tiny tmpfs.
/// </summary>
public sealed class FailedSaveTests
{
    // A file that takes `capacity` bytes and then fails as write(2) does on a full disk.
    private sealed class FullDisk(int capacity) : AtomicFile.FileSystem
    {
        public override Stream CreateTemp(string path) => new Capped(base.CreateTemp(path), capacity);

        private sealed class Capped(Stream inner, long capacity) : Stream
        {
            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => inner.CanWrite;
            public override long Length => inner.Length;
            public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
            public override void Flush() => inner.Flush();
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

            public override void Write(ReadOnlySpan<byte> buffer)
            {
                if (inner.Position + buffer.Length > capacity) throw new IOException("No space left on device");
                inner.Write(buffer);
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }

    private sealed class ReadOnlyFolder : AtomicFile.FileSystem
    {
        public override Stream CreateTemp(string path) => throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
    }

    private sealed class FailingRename : AtomicFile.FileSystem
    {
        public override void Move(string from, string to) => throw new IOException("Input/output error");
    }

    public static TheoryData<string> Failures() => new("full disk", "read-only folder", "failed rename");

    private static AtomicFile.FileSystem Make(string failure) => failure switch
    {
        "full disk" => new FullDisk(capacity: 4096),
        "read-only folder" => new ReadOnlyFolder(),
        _ => new FailingRename(),
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_failed_save_leaves_the_old_file_intact_and_no_temporary_behind(string failure)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "model.tlm");
        byte[] old = [.. Enumerable.Range(0, 1000).Select(i => (byte)i)];
        File.WriteAllBytes(path, old);
        byte[] bigger = new byte[100_000];
        Random.Shared.NextBytes(bigger);

        var e = Assert.ThrowsAny<Exception>(() => AtomicFile.Write(path, s => s.Write(bigger), Make(failure)));
        Assert.True(e is IOException or UnauthorizedAccessException, e.ToString());
        Assert.Equal(old, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void The_same_save_without_the_fault_replaces_the_file()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "model.tlm");
        File.WriteAllBytes(path, [1, 2, 3]);
        byte[] bigger = new byte[100_000];
        Random.Shared.NextBytes(bigger);
        AtomicFile.Write(path, s => s.Write(bigger), new FullDisk(capacity: 1 << 20));
        Assert.Equal(bigger, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }
}
