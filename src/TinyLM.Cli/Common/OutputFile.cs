using TinyLM.IO;

namespace TinyLM.Cli.Common;

/// <summary>
/// The one check every verb that writes a file runs before any work: the output must not be one of the verb's inputs
/// (a model, a data file, a tokenizer: writing there would destroy it) and must be a place a file can be written (not
/// a folder, not an unwritable folder), so a long training run is never lost to a bad <c>--out</c> at its end.
/// </summary>
public static class OutputFile
{
    /// <summary>
    /// Refuses <paramref name="output"/> (given as <paramref name="option"/>, e.g. "--out") when it resolves to any of
    /// <paramref name="inputs"/> (role, path; null paths are ignored) or cannot be written. Writes nothing that stays.
    /// </summary>
    public static void Check(string output, string option, params IEnumerable<(string Role, string? Path)> inputs)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        string target = Resolve(output);
        foreach (var (role, path) in inputs)
        {
            // An input that is not a file cannot be overwritten: a dataset name, or a missing file whose own error comes later.
            if (path is null || !File.Exists(path)) continue;
            if (string.Equals(target, Resolve(path), StringComparison.Ordinal))
                throw new CliError($"{option} {output} is the {role} ({path}); write to another file (inputs are never modified).", ExitCodes.Usage);
        }
        CheckWritable(output, option, target);
    }

    /// <summary>
    /// The full path with symbolic links followed, so that <c>--out link.tsv</c> is caught when link.tsv points at the
    /// training data. A path that does not exist yet resolves to itself.
    /// </summary>
    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            if (new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target) return Path.GetFullPath(target.FullName);
        }
        catch (IOException)
        {
            // A dangling or looping link: compare the path as given.
        }
        return full;
    }

    private static void CheckWritable(string output, string option, string target)
    {
        if (Directory.Exists(target))
            throw new CliError($"{option} {output} is a folder; give a file name (e.g. {Path.Combine(output, "model.tlm")}).", ExitCodes.Usage);
        // AtomicFile creates missing parent folders; the nearest one that exists must accept a new file. Probe it with
        // a file named like AtomicFile's temporaries, so a probe left by a kill is recognisably ours.
        string? folder = Path.GetDirectoryName(target);
        while (folder is not null && !Directory.Exists(folder))
        {
            if (File.Exists(folder))
                throw new CliError($"{option} {output}: {folder} is a file, not a folder.", ExitCodes.Usage);
            folder = Path.GetDirectoryName(folder);
        }
        if (folder is null) throw new CliError($"{option} {output}: no existing parent folder.", ExitCodes.Usage);
        string probe = Path.Combine(folder, $".tinylm-write-probe.{Environment.ProcessId}.{Guid.NewGuid():N}{AtomicFile.TempSuffix}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"{option} {output}: cannot write in {folder} ({e.Message}).");
        }
    }
}
