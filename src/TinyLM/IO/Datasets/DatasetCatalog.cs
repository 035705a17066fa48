namespace TinyLM.IO;

/// <summary>How the downloaded source files become the dataset's files.</summary>
public enum DatasetTransform
{
    /// <summary>Source i is file i, unchanged.</summary>
    None,

    /// <summary>Source i is file i with a final newline added when missing (R8).</summary>
    AppendFinalNewline,

    /// <summary>
    /// MR: sources are text_gcn's <c>data/mr.txt</c> (index, train/test, label) and
    /// <c>data/corpus/mr.txt</c> (Windows-1252 sentences); line N of both are joined into
    /// <c>pos|neg&lt;TAB&gt;sentence</c>, trailing spaces and CR removed, split into train.tsv and test.tsv.
    /// </summary>
    MovieReviewJoin,
}

/// <summary>A file to download: its path under the catalog's base URL and its SHA-256 (lower-case hex).</summary>
public sealed record DatasetSource(string Path, string Sha256);

/// <summary>A file of a dataset as stored locally, with the SHA-256 of its bytes when known.</summary>
public sealed record DatasetFile(string Name, string? Sha256 = null);

/// <summary>A named dataset: its files, where they come from and how they are made.</summary>
public sealed record DatasetInfo(string Name, string Description, IReadOnlyList<DatasetFile> Files,
    IReadOnlyList<DatasetSource> Sources, DatasetTransform Transform);

/// <summary>
/// The named datasets and their public sources (the one place that holds the URLs and checksums,
/// copied from shared/datasets/README.md). Tests build their own catalog or point
/// <see cref="BaseUrl"/> at a loopback server.
/// </summary>
public sealed class DatasetCatalog
{
    public const string DefaultBaseUrl = "https://raw.githubusercontent.com/";

    private const string TextGcn = "yao8839836/text_gcn/962223652e9bb164ac2d83cd09fc7b8845ce860b/";
    private const string CharRnn = "karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/";
    private const string OpenNmt = "OpenNMT/OpenNMT-py/dfd709347344498c472c8fcc594c2089aedaebc6/";

    private readonly Dictionary<string, DatasetInfo> _byName;

    public DatasetCatalog(IEnumerable<DatasetInfo> datasets, string baseUrl = DefaultBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        ArgumentException.ThrowIfNullOrEmpty(baseUrl);
        Datasets = [.. datasets];
        BaseUrl = baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/";
        _byName = new Dictionary<string, DatasetInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (DatasetInfo d in Datasets)
        {
            // A dataset without sources is found on disk only (e.g. installed by a system package).
            if (d.Sources.Count > 0 && (d.Transform == DatasetTransform.MovieReviewJoin ? d.Sources.Count != 2 || d.Files.Count != 2 : d.Sources.Count != d.Files.Count))
                throw new ArgumentException($"DatasetCatalog: dataset '{d.Name}' has {d.Sources.Count} sources for {d.Files.Count} files, which its transform {d.Transform} cannot map.");
            _byName.Add(d.Name, d);
        }
    }

    /// <summary>The built-in catalog: r8, mr, tinyshakespeare, multi30k, fashion-mnist.</summary>
    public static DatasetCatalog Default { get; } = new(
    [
        new DatasetInfo("r8", "Reuters-21578 R8 news topics, 8 classes (label<TAB>text)",
            [new("train.tsv", "f2cebcc0203f9092db55fc11b98377a5c30407121b1d633583580e36d0668ed9"),
             new("test.tsv", "2cda485b855244b8995a67b81edc691470059225776627d3c45545206f61a1b2")],
            [new(TextGcn + "data/R8/train.txt", "3ed60c905aaa95b96c3fc4afb6d14ad2e20106c59c5b9dda950dcb3075eecfbe"),
             new(TextGcn + "data/R8/test.txt", "2ba368c42e6808bc3dc68b8f7879eb07a2810ed137f0b304e2213b689677e561")],
            DatasetTransform.AppendFinalNewline),
        new DatasetInfo("mr", "Pang & Lee movie-review sentence polarity, pos/neg (label<TAB>text)",
            [new("train.tsv", "4c2f1d9b14f8f03e1026992aa12e43a5ceee76e02ae06a1883ae3a1c0e13d43d"),
             new("test.tsv", "b966e5eed906518efd5fc4667188367bfb6266a449ea2b795b407ac2d58dc6be")],
            [new(TextGcn + "data/mr.txt", "184c1b3b7f9695174fcf949738a661ba9d798b0e500721d0644daab4d095e134"),
             new(TextGcn + "data/corpus/mr.txt", "2ce386f81c1ebd45fd2c0d2a41e8702e78f2dbeeb88fc8f3cff680211f303689")],
            DatasetTransform.MovieReviewJoin),
        new DatasetInfo("tinyshakespeare", "Tiny Shakespeare, raw text for character-level language models",
            [new("input.txt", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed")],
            [new(CharRnn + "data/tinyshakespeare/input.txt", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed")],
            DatasetTransform.None),
        new DatasetInfo("multi30k", "Multi30k German-English image-caption translation (line-aligned .de/.en)",
            [new("train.de", "2c2b73fd2b548fbcde3a875e0a78d6ee94d498bfdee6bd3eae3945779e9ddf72"),
             new("train.en", "460a15fbd157e34a7a9957ee388c1ca247fe47af3ef25fb50442af6c274e0fc6"),
             new("val.de", "366863c09b91e91c100bc87501a85fe1ce49270c2301de46d39075aee5ce8021"),
             new("val.en", "1f2a23d992769b5b3d209b0a10dd0b77c08cceb1f20dfb97ed0aafa49d107227")],
            [new(OpenNmt + "data/multi30k/train.de", "2c2b73fd2b548fbcde3a875e0a78d6ee94d498bfdee6bd3eae3945779e9ddf72"),
             new(OpenNmt + "data/multi30k/train.en", "460a15fbd157e34a7a9957ee388c1ca247fe47af3ef25fb50442af6c274e0fc6"),
             new(OpenNmt + "data/multi30k/val.de", "366863c09b91e91c100bc87501a85fe1ce49270c2301de46d39075aee5ce8021"),
             new(OpenNmt + "data/multi30k/val.en", "1f2a23d992769b5b3d209b0a10dd0b77c08cceb1f20dfb97ed0aafa49d107227")],
            DatasetTransform.None),
        new DatasetInfo("fashion-mnist", "Zalando Fashion-MNIST, 28×28 grey images of 10 clothing classes (gzip IDX); not downloaded: install the Debian package dataset-fashion-mnist (into /usr/share/datasets) or put the four files in a data folder",
            [new("train-images-idx3-ubyte.gz"), new("train-labels-idx1-ubyte.gz"), new("t10k-images-idx3-ubyte.gz"), new("t10k-labels-idx1-ubyte.gz")],
            [], DatasetTransform.None),
    ]);

    public IReadOnlyList<DatasetInfo> Datasets { get; }

    /// <summary>Prefix of every source URL (ends with '/').</summary>
    public string BaseUrl { get; }

    public IEnumerable<string> Names => Datasets.Select(d => d.Name);

    public DatasetInfo? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The same datasets fetched from another server (tests, mirrors).</summary>
    public DatasetCatalog WithBaseUrl(string baseUrl) => new(Datasets, baseUrl);

    public Uri SourceUri(DatasetSource source) => new(BaseUrl + source.Path);
}
