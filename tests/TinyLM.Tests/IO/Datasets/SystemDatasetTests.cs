using TinyLM.IO;
using TinyLM.Tests.Text;

namespace TinyLM.Tests.IO.Datasets;

/// <summary>Datasets installed by a system package (Debian's dataset-fashion-mnist) and datasets without a download source.</summary>
public class SystemDatasetTests
{
    private static readonly string[] FashionFiles =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    [Fact]
    public void Fashion_mnist_is_found_in_the_system_folder_after_shared_and_before_the_cache()
    {
        using var dir = new TempDir();
        foreach (string root in new[] { "system", "ws/shared/datasets", "cache" })
            foreach (string f in FashionFiles) dir.File($"{root}/fashion-mnist/{f}", "x");
        Directory.CreateDirectory(Path.Combine(dir.Path, "ws", "main"));
        var r = new DatasetResolver
        {
            EnvironmentDir = null,
            SearchStarts = [Path.Combine(dir.Path, "ws", "main")],
            SystemDir = Path.Combine(dir.Path, "system"),
            CacheDir = Path.Combine(dir.Path, "cache"),
            AllowDownload = false,
        };
        Assert.Equal(DatasetOrigin.Shared, r.Resolve("fashion-mnist").Origin);
        r.SearchStarts = [];
        var found = r.Resolve("fashion-mnist");
        Assert.Equal(DatasetOrigin.System, found.Origin);
        Assert.Equal(Path.Combine(dir.Path, "system", "fashion-mnist", "t10k-images-idx3-ubyte.gz"), found.File("t10k-images-idx3-ubyte.gz"));
        r.SystemDir = null;
        Assert.Equal(DatasetOrigin.Cache, r.Resolve("fashion-mnist").Origin);
    }

    [Fact]
    public void A_dataset_without_sources_says_how_to_install_it_even_when_downloads_are_allowed()
    {
        using var dir = new TempDir();
        var r = new DatasetResolver
        {
            EnvironmentDir = null, SearchStarts = [], SystemDir = Path.Combine(dir.Path, "none"),
            CacheDir = Path.Combine(dir.Path, "cache"), AllowDownload = true,
        };
        var ex = Assert.Throws<DatasetUnavailableException>(() => r.Resolve("fashion-mnist"));
        Assert.Contains("dataset-fashion-mnist", ex.Message);
        Assert.Contains("DIR/fashion-mnist/train-images-idx3-ubyte.gz", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "cache", "fashion-mnist")));
    }
}
