using System.Security.Cryptography;
using TinyLM.IO;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.IO.Datasets;

/// <summary>
/// The built-in catalog against the real corpora in shared/datasets. Each test returns early when the
/// data is not on this machine (<see cref="DatasetResolverTests"/> covers the logic with data it makes itself).
/// </summary>
public class RealCatalogTests
{
    private static ResolvedDataset? Local(string name) =>
        new DatasetResolver { AllowDownload = false, DataDir = null }.FindLocal(name);

    [Fact]
    public void Local_files_match_the_catalog_checksums()
    {
        foreach (DatasetInfo info in DatasetCatalog.Default.Datasets)
        {
            if (Local(info.Name) is not ResolvedDataset d)
                continue;
            foreach (DatasetFile f in info.Files.Where(f => f.Sha256 is not null))
                Assert.Equal(f.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(d.File(f.Name)))));
        }
    }

    [Fact]
    public async Task Real_catalog_entries_download_from_a_mirror_of_their_sources()
    {
        // tinyshakespeare and multi30k are stored unchanged, and R8's sources are the files without
        // their final newline, so a loopback mirror of the real sources can be rebuilt from them.
        ResolvedDataset?[] found = [Local("r8"), Local("tinyshakespeare"), Local("multi30k")];
        if (found.Any(f => f is null))
            return;
        var served = new Dictionary<string, byte[]>();
        foreach (string name in new[] { "r8", "tinyshakespeare", "multi30k" })
        {
            DatasetInfo info = DatasetCatalog.Default.Find(name)!;
            ResolvedDataset local = found.First(f => f!.Name == name)!;
            for (int i = 0; i < info.Files.Count; i++)
            {
                byte[] bytes = File.ReadAllBytes(local.File(info.Files[i].Name));
                served[info.Sources[i].Path] = info.Transform == DatasetTransform.AppendFinalNewline ? bytes[..^1] : bytes;
            }
        }
        using var server = new LoopbackServer(served);
        using var dir = new TempDir();
        var r = new DatasetResolver(DatasetCatalog.Default.WithBaseUrl(server.BaseUrl))
        {
            EnvironmentDir = null,
            SearchStarts = [],
            CacheDir = dir.Path,
        };
        foreach (string name in new[] { "r8", "tinyshakespeare", "multi30k" })
        {
            ResolvedDataset d = await r.ResolveAsync(name);
            Assert.Equal(DatasetOrigin.Downloaded, d.Origin);
        }
    }

    [Fact]
    public void Movie_review_transform_reproduces_the_published_files_from_the_real_sources()
    {
        // Needs text_gcn's data/mr.txt and data/corpus/mr.txt saved as mr.txt and corpus_mr.txt in
        // $TINYLM_TEXTGCN_SOURCES (not part of the repository).
        string? src = Environment.GetEnvironmentVariable("TINYLM_TEXTGCN_SOURCES");
        if (src is null)
            return;
        DatasetInfo info = DatasetCatalog.Default.Find("mr")!;
        byte[][] outputs = DatasetTransforms.Apply(info,
            [File.ReadAllBytes(Path.Combine(src, "mr.txt")), File.ReadAllBytes(Path.Combine(src, "corpus_mr.txt"))], ["mr.txt", "corpus_mr.txt"]);
        Assert.Equal(info.Files[0].Sha256, Convert.ToHexStringLower(SHA256.HashData(outputs[0])));
        Assert.Equal(info.Files[1].Sha256, Convert.ToHexStringLower(SHA256.HashData(outputs[1])));
    }
}
