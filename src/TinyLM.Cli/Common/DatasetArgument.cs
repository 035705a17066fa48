using Spectre.Console;
using TinyLM.IO;

namespace TinyLM.Cli.Common;

/// <summary>
/// Turns a dataset argument into a file path. Accepted forms: a plain file path; a dataset name
/// (<c>r8</c>: the verb's default file of it, e.g. train.tsv); or name/file (<c>r8/test.tsv</c>).
/// Names are resolved by <see cref="DatasetResolver"/>, downloading with a progress bar when needed.
/// </summary>
public static class DatasetArgument
{
    public static string Resolve(string value, string defaultFile, string? dataDir)
    {
        if (File.Exists(value)) return Path.GetFullPath(value);
        string name = value, file = defaultFile;
        int slash = value.IndexOf('/');
        if (slash > 0 && !value.StartsWith('.') && !Path.IsPathRooted(value))
        {
            name = value[..slash];
            file = value[(slash + 1)..];
        }
        var resolver = new DatasetResolver { DataDir = dataDir };
        if (resolver.Catalog.Find(name) is null)
            throw new CliError(Directory.Exists(value)
                ? $"{value}: is a folder, not a data file; give a file in it, or a known dataset ({string.Join(", ", resolver.Catalog.Names)})."
                : $"{value}: no such file, and not a known dataset ({string.Join(", ", resolver.Catalog.Names)}).");
        ResolvedDataset dataset;
        try
        {
            dataset = resolver.FindLocal(name) ?? Download(resolver, name);
        }
        catch (DatasetUnavailableException e)
        {
            throw new CliError(e.Message);
        }
        string path = dataset.File(file);
        if (!File.Exists(path))
            throw new CliError($"{value}: dataset '{name}' has no file '{file}' (it has {string.Join(", ", dataset.Files.Select(Path.GetFileName))}).");
        return path;
    }

    private static ResolvedDataset Download(DatasetResolver resolver, string name)
    {
        ResolvedDataset? result = null;
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"downloading {name}");
                var progress = new SynchronousProgress<DownloadProgress>(p =>
                {
                    task.Description = $"downloading {name} ({p.FileIndex + 1}/{p.FileCount})";
                    if (p.TotalBytes is long total) { task.MaxValue = total; task.Value = p.BytesReceived; }
                });
                result = resolver.Resolve(name, progress);
                task.Value = task.MaxValue;
            });
        return result!;
    }
}

/// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
