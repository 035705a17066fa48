using TinyLM.Text;

namespace TinyLM.Tests.Text;

public sealed class IdxFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tinylm-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        string path = Path.Combine(_dir, name);
        IdxTestFiles.Write(path, bytes, gzip);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_raw_and_gzip_files(bool gzip)
    {
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        var array = IdxFile.Read(Write("x.idx", IdxTestFiles.Bytes([2, 3, 4], data), gzip));
        Assert.Equal([2, 3, 4], array.Dims);
        Assert.Equal(data, array.Data);
        Assert.Equal(2, array.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_and_oversized_files_name_the_file_and_the_expected_size(bool gzip)
    {
        var full = IdxTestFiles.Bytes([3, 4], new byte[12]);
        string cut = Write("cut.idx", full[..^5], gzip);
        var ex = Assert.Throws<DataFormatException>(() => IdxFile.Read(cut));
        Assert.Contains(cut, ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("12", ex.Message);
        string extra = Write("extra.idx", [.. full, 1, 2], gzip);
        Assert.Matches("extra|more data follows", Assert.Throws<DataFormatException>(() => IdxFile.Read(extra)).Message);
        string header = Write("header.idx", full[..6], gzip);
        Assert.Contains("truncated IDX header", Assert.Throws<DataFormatException>(() => IdxFile.Read(header)).Message);
    }

    [Fact]
    public void Bad_magic_type_and_rank_are_named()
    {
        var bytes = IdxTestFiles.Bytes([2], [1, 2]);
        bytes[0] = 0x50;
        Assert.Contains("not an IDX file", Assert.Throws<DataFormatException>(() => IdxFile.Read(Write("magic.idx", bytes))).Message);
        Assert.Contains("0x0d (float32) is not supported; expected 0x08",
            Assert.Throws<DataFormatException>(() => IdxFile.Read(Write("type.idx", IdxTestFiles.Bytes([2], new byte[8], 0x0D)))).Message);
        var rank = IdxTestFiles.Bytes([1], [0]);
        rank[3] = 0;
        Assert.Contains("0 dimensions", Assert.Throws<DataFormatException>(() => IdxFile.Read(Write("rank.idx", rank))).Message);
        Assert.Contains("-5", Assert.Throws<DataFormatException>(() => IdxFile.Read(Write("neg.idx", IdxTestFiles.Bytes([-5], [])))).Message);
        Assert.Contains("no such IDX file", Assert.Throws<FileNotFoundException>(() => IdxFile.Read(Path.Combine(_dir, "missing"))).Message);
    }

    [Fact]
    public void A_hostile_header_allocates_nothing_large()
    {
        // 1000×1000×1000 bytes declared, 10 present: a compressed stream cannot be sized up front.
        string path = Write("huge.idx.gz", IdxTestFiles.Bytes([1000, 1000, 1000], new byte[10]), gzip: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<DataFormatException>(() => IdxFile.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "allocated more than 16 MiB for a 10-byte body");
        Assert.Contains("only 10 follow", ex.Message);
        // Beyond any array: refused from the header alone.
        string over = Write("over.idx", IdxTestFiles.Bytes([100000, 100000, 1000], []));
        Assert.Contains("more than", Assert.Throws<DataFormatException>(() => IdxFile.Read(over)).Message);
    }

    [Fact]
    public void Image_dataset_checks_counts_and_shapes()
    {
        IdxTestFiles.WriteToySet(_dir, "train", 12, 8, 4, seed: 1, gzip: true);
        var set = ImageDataset.ReadIdx(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), Path.Combine(_dir, "train-labels-idx1-ubyte.gz"));
        Assert.Equal((12, 1, 8, 8, 4), (set.Count, set.Channels, set.Height, set.Width, set.Classes));
        Assert.Equal([0, 1, 2, 3, 0], set.Labels[..5]);

        string labels = Write("few-labels", IdxTestFiles.Bytes([11], new byte[11]));
        var ex = Assert.Throws<DataFormatException>(() => ImageDataset.ReadIdx(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), labels));
        Assert.Contains("11 labels for the 12 images", ex.Message);
        Assert.Contains(labels, ex.Message);
        string flat = Write("flat-images", IdxTestFiles.Bytes([12], new byte[12]));
        Assert.Contains("(N, H, W)", Assert.Throws<DataFormatException>(() => ImageDataset.ReadIdx(flat, labels)).Message);

        // Channels last in IDX become planes (NCHW).
        string rgb = Write("rgb", IdxTestFiles.Bytes([1, 1, 2, 3], [1, 2, 3, 4, 5, 6]));
        string one = Write("one", IdxTestFiles.Bytes([1], [0]));
        Assert.Equal([1, 4, 2, 5, 3, 6], ImageDataset.ReadIdx(rgb, one).Pixels);
    }
}
