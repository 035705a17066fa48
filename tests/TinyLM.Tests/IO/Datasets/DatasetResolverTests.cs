using System.Security.Cryptography;
using System.Text;
using TinyLM.IO;
using TinyLM.Tests.Text;
using TinyLM.Text;

namespace TinyLM.Tests.IO.Datasets;

public class DatasetResolverTests
{
    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    private static DatasetResolver Isolated(TempDir dir, DatasetCatalog catalog) => new(catalog)
    {
        EnvironmentDir = null,
        SearchStarts = [],
        CacheDir = Path.Combine(dir.Path, "cache"),
    };

    private static (DatasetCatalog Catalog, Dictionary<string, byte[]> Served) ToyCatalog(string baseUrl, bool corruptServed = false)
    {
        byte[] train = "a\tone\nb\ttwo"u8.ToArray(); // no final newline: the transform adds it
        byte[] test = "a\tthree\n"u8.ToArray();
        var info = new DatasetInfo("toy", "toy data",
            [new DatasetFile("train.tsv", Sha([.. train, (byte)'\n'])), new DatasetFile("test.tsv", Sha(test))],
            [new DatasetSource("repo/c0ffee/train.txt", Sha(train)), new DatasetSource("repo/c0ffee/test.txt", Sha(test))],
            DatasetTransform.AppendFinalNewline);
        var served = new Dictionary<string, byte[]>
        {
            ["repo/c0ffee/train.txt"] = corruptServed ? [.. train, (byte)'!'] : train,
            ["repo/c0ffee/test.txt"] = test,
        };
        return (new DatasetCatalog([info], baseUrl), served);
    }

    [Fact]
    public async Task Downloads_verifies_transforms_and_caches()
    {
        using var dir = new TempDir();
        (DatasetCatalog probe, Dictionary<string, byte[]> served) = ToyCatalog("http://unused/");
        using var server = new LoopbackServer(served);
        DatasetResolver r = Isolated(dir, probe.WithBaseUrl(server.BaseUrl));
        var reports = new List<DownloadProgress>();
        ResolvedDataset d = await r.ResolveAsync("toy", new SyncProgress(reports.Add));
        Assert.Equal(DatasetOrigin.Downloaded, d.Origin);
        Assert.Equal("a\tone\nb\ttwo\n", File.ReadAllText(d.File("train.tsv")));
        Assert.Equal(2, TextDatasetReader.Read(d.File("train.tsv")).Count);
        Assert.Contains(reports, p => p.FileIndex == 1 && p.BytesReceived == 8 && p.TotalBytes == 8);
        Assert.Empty(Directory.GetFiles(d.Directory, "*.tmp"));

        ResolvedDataset again = r.Resolve("toy");
        Assert.Equal(DatasetOrigin.Cache, again.Origin);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task Checksum_mismatch_fails_and_leaves_nothing_in_the_cache()
    {
        using var dir = new TempDir();
        (DatasetCatalog probe, Dictionary<string, byte[]> served) = ToyCatalog("http://unused/", corruptServed: true);
        using var server = new LoopbackServer(served);
        DatasetResolver r = Isolated(dir, probe.WithBaseUrl(server.BaseUrl));
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => r.ResolveAsync("toy"));
        Assert.Contains("SHA-256 mismatch", ex.Message);
        Assert.Contains("train.txt", ex.Message);
        Assert.False(Directory.Exists(r.CacheDir) && Directory.EnumerateFileSystemEntries(r.CacheDir, "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Offline_message_lists_the_files_to_put_in_place()
    {
        using var dir = new TempDir();
        (DatasetCatalog probe, _) = ToyCatalog("http://unused/");
        DatasetResolver r = Isolated(dir, probe.WithBaseUrl($"http://127.0.0.1:{LoopbackServer.FreePort()}/"));
        var ex = await Assert.ThrowsAsync<DatasetUnavailableException>(() => r.ResolveAsync("toy"));
        Assert.Contains("DIR/toy/train.tsv", ex.Message);
        Assert.Contains("DIR/toy/test.tsv", ex.Message);
        Assert.Contains("TINYLM_DATA", ex.Message);
        Assert.Contains(r.CacheDir, ex.Message);
        Assert.Contains("repo/c0ffee/train.txt", ex.Message);

        r.AllowDownload = false;
        var ex2 = Assert.Throws<DatasetUnavailableException>(() => r.Resolve("toy"));
        Assert.Contains("disabled", ex2.Message);
    }

    [Fact]
    public void Search_order_is_data_dir_then_environment_then_shared_then_cache()
    {
        using var dir = new TempDir();
        (DatasetCatalog cat, _) = ToyCatalog("http://unused/");
        foreach (string root in new[] { "explicit", "env", "ws/shared/datasets", "cache" })
        {
            dir.File($"{root}/toy/train.tsv", "a\tx\n");
            dir.File($"{root}/toy/test.tsv", "a\ty\n");
        }
        Directory.CreateDirectory(Path.Combine(dir.Path, "ws", "main", "src"));
        var r = new DatasetResolver(cat)
        {
            DataDir = Path.Combine(dir.Path, "explicit"),
            EnvironmentDir = Path.Combine(dir.Path, "env"),
            SearchStarts = [Path.Combine(dir.Path, "ws", "main", "src")],
            CacheDir = Path.Combine(dir.Path, "cache"),
            AllowDownload = false,
        };
        Assert.Equal(DatasetOrigin.DataDir, r.Resolve("toy").Origin);
        r.DataDir = null;
        Assert.Equal(DatasetOrigin.Environment, r.Resolve("toy").Origin);
        r.EnvironmentDir = null;
        ResolvedDataset shared = r.Resolve("toy");
        Assert.Equal(DatasetOrigin.Shared, shared.Origin);
        Assert.Equal(Path.Combine(dir.Path, "ws", "shared", "datasets", "toy"), shared.Directory);
        r.SearchStarts = [];
        Assert.Equal(DatasetOrigin.Cache, r.Resolve("toy").Origin);
    }

    [Fact]
    public void Plain_paths_resolve_to_themselves_and_unknown_names_fail()
    {
        using var dir = new TempDir();
        string p = dir.File("mine.tsv", "a\tb\n");
        var r = new DatasetResolver { AllowDownload = false, SearchStarts = [], EnvironmentDir = null, CacheDir = Path.Combine(dir.Path, "c") };
        ResolvedDataset d = r.Resolve(p);
        Assert.Equal(DatasetOrigin.Path, d.Origin);
        Assert.Equal([p], d.Files);
        var ex = Assert.Throws<ArgumentException>(() => r.Resolve("no-such-dataset"));
        Assert.Contains("r8, mr, tinyshakespeare, multi30k", ex.Message);
    }

    [Fact]
    public async Task Movie_review_transform_joins_maps_labels_and_splits()
    {
        using var dir = new TempDir();
        byte[] meta = "0\ttrain\t1\n1\ttest\t0\n2\ttrain\t0"u8.ToArray();
        byte[] corpus = [.. "caf"u8, 0xE9, .. " is great .  \r\n"u8, .. "bad\r\n"u8, 0x93, .. "meh"u8, 0x94, .. " \r\n"u8];
        byte[] train = Encoding.UTF8.GetBytes("pos\tcafé is great .\nneg\t“meh”\n");
        byte[] test = Encoding.UTF8.GetBytes("neg\tbad\n");
        var info = new DatasetInfo("mrtoy", "", [new("train.tsv", Sha(train)), new("test.tsv", Sha(test))],
            [new("x/mr.txt", Sha(meta)), new("x/corpus/mr.txt", Sha(corpus))], DatasetTransform.MovieReviewJoin);
        using var server = new LoopbackServer(new() { ["x/mr.txt"] = meta, ["x/corpus/mr.txt"] = corpus });
        DatasetResolver r = Isolated(dir, new DatasetCatalog([info], server.BaseUrl));
        ResolvedDataset d = await r.ResolveAsync("mrtoy");
        Assert.Equal(train, File.ReadAllBytes(d.File("train.tsv")));
        Assert.Equal(test, File.ReadAllBytes(d.File("test.tsv")));
    }

    /// <summary>IProgress without a synchronisation context hop, so reports arrive before the await returns.</summary>
    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
