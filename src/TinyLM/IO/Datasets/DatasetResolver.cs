using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace TinyLM.IO;

/// <summary>Where a resolved dataset was found.</summary>
public enum DatasetOrigin
{
    /// <summary>The argument was a path to a file or folder.</summary>
    Path,

    /// <summary>The explicit data directory (<c>--data-dir</c>).</summary>
    DataDir,

    /// <summary>The <c>$TINYLM_DATA</c> directory.</summary>
    Environment,

    /// <summary>A <c>shared/datasets</c> folder beside the repository (development, CI).</summary>
    Shared,

    /// <summary>The user cache, from an earlier download.</summary>
    Cache,

    /// <summary>Downloaded into the user cache just now.</summary>
    Downloaded,

    /// <summary>The system's dataset folder (<c>/usr/share/datasets</c>, where Debian's <c>dataset-*</c> packages install).</summary>
    System,
}

/// <summary>A dataset on disk: its folder and the full paths of its files.</summary>
public sealed record ResolvedDataset(string Name, string Directory, IReadOnlyList<string> Files, DatasetOrigin Origin)
{
    /// <summary>Full path of one of the dataset's files, e.g. <c>File("train.tsv")</c>.</summary>
    public string File(string fileName)
    {
        foreach (string f in Files)
        {
            if (string.Equals(System.IO.Path.GetFileName(f), fileName, StringComparison.Ordinal))
                return f;
        }
        throw new FileNotFoundException($"dataset '{Name}' has no file '{fileName}' (files: {string.Join(", ", Files.Select(System.IO.Path.GetFileName))}).", fileName);
    }
}

/// <summary>Download progress of one source file; <see cref="TotalBytes"/> is null when the server did not say.</summary>
public readonly record struct DownloadProgress(string Dataset, string Url, int FileIndex, int FileCount, long BytesReceived, long? TotalBytes);

/// <summary>A named dataset is neither on disk nor downloadable; the message says which files to put where.</summary>
public sealed class DatasetUnavailableException : Exception
{
    public DatasetUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Finds a dataset by name (or takes a path as is). Search order: the explicit data directory,
/// <c>$TINYLM_DATA</c>, a <c>shared/datasets</c> folder in or above the current directory or the
/// application directory, then the user cache (<c>~/.cache/tinylm/datasets</c>); otherwise the
/// public sources are downloaded into the cache, each checked by SHA-256 and written atomically.
/// </summary>
public sealed class DatasetResolver
{
    public const string EnvironmentVariable = "TINYLM_DATA";

    private static readonly Lazy<HttpClient> _sharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(5) });

    private readonly HttpClient? _http;

    public DatasetResolver(DatasetCatalog? catalog = null, HttpClient? httpClient = null)
    {
        Catalog = catalog ?? DatasetCatalog.Default;
        _http = httpClient;
    }

    public DatasetCatalog Catalog { get; }

    /// <summary>The explicit data directory (the CLI's <c>--data-dir</c>); searched first.</summary>
    public string? DataDir { get; set; }

    /// <summary>Defaults to <c>$TINYLM_DATA</c>.</summary>
    public string? EnvironmentDir { get; set; } = System.Environment.GetEnvironmentVariable(EnvironmentVariable);

    /// <summary>Folders from which to search upward for <c>shared/datasets</c>.</summary>
    public IReadOnlyList<string> SearchStarts { get; set; } = [System.Environment.CurrentDirectory, AppContext.BaseDirectory];

    /// <summary>The system's dataset folder, searched after <c>shared/datasets</c> when it exists (null to skip).</summary>
    public string? SystemDir { get; set; } = "/usr/share/datasets";

    /// <summary>Download target and last search location.</summary>
    public string CacheDir { get; set; } = DefaultCacheDir();

    /// <summary>False forbids network access (resolution then fails with the offline message).</summary>
    public bool AllowDownload { get; set; } = true;

    /// <summary><c>$XDG_CACHE_HOME/tinylm/datasets</c>, else <c>~/.cache/tinylm/datasets</c>.</summary>
    public static string DefaultCacheDir()
    {
        string? xdg = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "tinylm", "datasets");
    }

    /// <summary>The first <c>shared/datasets</c> folder found in <paramref name="start"/> or one of its ancestors.</summary>
    public static string? FindSharedDatasets(string start)
    {
        if (string.IsNullOrEmpty(start))
            return null;
        for (DirectoryInfo? d = new(Path.GetFullPath(start)); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "datasets");
            if (System.IO.Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>The dataset roots searched, in order, with their origin (existing or not).</summary>
    public List<(string Root, DatasetOrigin Origin)> SearchRoots()
    {
        var roots = new List<(string, DatasetOrigin)>();
        if (!string.IsNullOrEmpty(DataDir))
            roots.Add((Path.GetFullPath(DataDir), DatasetOrigin.DataDir));
        if (!string.IsNullOrEmpty(EnvironmentDir))
            roots.Add((Path.GetFullPath(EnvironmentDir), DatasetOrigin.Environment));
        foreach (string start in SearchStarts)
        {
            if (FindSharedDatasets(start) is string shared && !roots.Any(r => r.Item1 == shared))
                roots.Add((shared, DatasetOrigin.Shared));
        }
        if (!string.IsNullOrEmpty(SystemDir) && System.IO.Directory.Exists(SystemDir)) roots.Add((Path.GetFullPath(SystemDir), DatasetOrigin.System));
        roots.Add((Path.GetFullPath(CacheDir), DatasetOrigin.Cache));
        return roots;
    }

    /// <summary>The dataset if all its files are on disk somewhere in the search order, else null.</summary>
    public ResolvedDataset? FindLocal(string name)
    {
        DatasetInfo info = Catalog.Find(name) ?? throw UnknownName(name);
        foreach ((string root, DatasetOrigin origin) in SearchRoots())
        {
            // The data directory may also point straight at the dataset's own folder.
            string[] dirs = origin == DatasetOrigin.DataDir ? [Path.Combine(root, info.Name), root] : [Path.Combine(root, info.Name)];
            foreach (string dir in dirs)
            {
                string[] files = [.. info.Files.Select(f => Path.Combine(dir, f.Name))];
                if (files.All(System.IO.File.Exists))
                    return new ResolvedDataset(info.Name, dir, files, origin);
            }
        }
        return null;
    }

    /// <summary>Synchronous <see cref="ResolveAsync"/>.</summary>
    public ResolvedDataset Resolve(string nameOrPath, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ResolveAsync(nameOrPath, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// A catalog name resolves through the search order and, failing that, a download; a path to an
    /// existing file or folder resolves to itself.
    /// </summary>
    public async Task<ResolvedDataset> ResolveAsync(string nameOrPath, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        DatasetInfo? info = Catalog.Find(nameOrPath);
        bool looksLikePath = nameOrPath.IndexOfAny(['/', '\\']) >= 0 || Path.HasExtension(nameOrPath);
        if (info is null || looksLikePath)
        {
            if (System.IO.File.Exists(nameOrPath))
            {
                string full = Path.GetFullPath(nameOrPath);
                return new ResolvedDataset(Path.GetFileName(full), Path.GetDirectoryName(full)!, [full], DatasetOrigin.Path);
            }
            if (System.IO.Directory.Exists(nameOrPath))
            {
                string full = Path.GetFullPath(nameOrPath);
                string[] files = System.IO.Directory.GetFiles(full);
                Array.Sort(files, StringComparer.Ordinal);
                return new ResolvedDataset(Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)), full, files, DatasetOrigin.Path);
            }
            if (info is null)
                throw UnknownName(nameOrPath);
        }
        return FindLocal(info.Name) ?? await DownloadAsync(info, progress, cancellationToken).ConfigureAwait(false);
    }

    private ArgumentException UnknownName(string name) =>
        new($"'{name}' is neither a known dataset ({string.Join(", ", Catalog.Names)}) nor an existing file or folder.", nameof(name));

    private async Task<ResolvedDataset> DownloadAsync(DatasetInfo info, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        if (!AllowDownload || info.Sources.Count == 0)
            throw Unavailable(info, info.Sources.Count == 0 ? $"it has no download source: {info.Description}" : "downloads are disabled", null);
        HttpClient http = _http ?? _sharedClient.Value;
        var sources = new List<byte[]>(info.Sources.Count);
        for (int i = 0; i < info.Sources.Count; i++)
        {
            DatasetSource src = info.Sources[i];
            Uri uri = Catalog.SourceUri(src);
            byte[] bytes;
            try
            {
                bytes = await FetchAsync(http, uri, info.Name, i, info.Sources.Count, progress, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException
                                           || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                throw Unavailable(info, $"downloading {uri} failed: {ex.Message}", ex);
            }
            string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!string.Equals(actual, src.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"dataset '{info.Name}': SHA-256 mismatch for {uri} ({bytes.Length} bytes): expected {src.Sha256}, got {actual}. The download is corrupt or the source changed; nothing was written to {CacheDir}.");
            sources.Add(bytes);
        }

        byte[][] outputs;
        try
        {
            outputs = DatasetTransforms.Apply(info, sources, [.. info.Sources.Select(s => Catalog.SourceUri(s).ToString())]);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"dataset '{info.Name}': cannot convert the downloaded sources: {ex.Message} Nothing was written.", ex);
        }
        for (int i = 0; i < outputs.Length; i++)
        {
            if (info.Files[i].Sha256 is string expected)
            {
                string actual = Convert.ToHexStringLower(SHA256.HashData(outputs[i]));
                if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException($"dataset '{info.Name}': {info.Files[i].Name} made from the sources has SHA-256 {actual}, expected {expected}; nothing was written to {CacheDir}.");
            }
        }

        string dir = Path.Combine(Path.GetFullPath(CacheDir), info.Name);
        System.IO.Directory.CreateDirectory(dir);
        var paths = new string[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            paths[i] = Path.Combine(dir, info.Files[i].Name);
            AtomicFile.WriteAllBytes(paths[i], outputs[i]);
        }
        return new ResolvedDataset(info.Name, dir, paths, DatasetOrigin.Downloaded);
    }

    private static async Task<byte[]> FetchAsync(HttpClient http, Uri uri, string dataset, int index, int count,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        using HttpResponseMessage response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the server answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        long? total = response.Content.Headers.ContentLength;
        using var buffer = new MemoryStream(total is long t and > 0 and < int.MaxValue ? (int)t : 1 << 20);
        using Stream stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        byte[] chunk = new byte[1 << 16];
        long received = 0;
        progress?.Report(new DownloadProgress(dataset, uri.ToString(), index, count, 0, total));
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, n);
            received += n;
            progress?.Report(new DownloadProgress(dataset, uri.ToString(), index, count, received, total));
        }
        return buffer.ToArray();
    }

    private DatasetUnavailableException Unavailable(DatasetInfo info, string reason, Exception? inner)
    {
        var sb = new StringBuilder();
        sb.Append($"Dataset '{info.Name}' was not found on this machine and could not be downloaded ({reason}).");
        sb.Append("\nTo use it offline, put these files in place:");
        foreach (DatasetFile f in info.Files)
            sb.Append($"\n  DIR/{info.Name}/{f.Name}");
        sb.Append($"\nwhere DIR is the --data-dir argument, ${EnvironmentVariable}, a shared/datasets folder beside the repository, or {Path.GetFullPath(CacheDir)}.");
        sb.Append("\nSearched:");
        foreach ((string root, DatasetOrigin origin) in SearchRoots())
            sb.Append($"\n  {Path.Combine(root, info.Name)} ({origin})");
        sb.Append($"\nPublic sources{(info.Transform == DatasetTransform.None ? "" : $" (then transformed: {info.Transform})")}:");
        foreach (DatasetSource s in info.Sources)
            sb.Append($"\n  {Catalog.SourceUri(s)}  sha256 {s.Sha256}");
        return new DatasetUnavailableException(sb.ToString(), inner);
    }
}
