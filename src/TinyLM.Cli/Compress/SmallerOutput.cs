using TinyLM.Cli.Common;

namespace TinyLM.Cli.Compress;

/// <summary>
/// A compression verb writes its output only when it is smaller than its input: a "compressed" file that is not is
/// refused (exit 1, nothing written) with the reason, instead of a table that reads "1.00× smaller".
/// </summary>
internal static class SmallerOutput
{
    /// <summary>
    /// Saves with <paramref name="save"/> to a file beside <paramref name="output"/>, keeps it as <paramref name="output"/>
    /// only if it has fewer bytes than <paramref name="input"/>, and else deletes it and fails with <paramref name="why"/>.
    /// </summary>
    public static void Save(string verb, string input, string output, Action<string> save, string why)
    {
        ArgumentNullException.ThrowIfNull(save);
        string full = Path.GetFullPath(output);
        string candidate = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.{Environment.ProcessId}.candidate{Path.GetExtension(full)}");
        try
        {
            save(candidate);
            long before = new FileInfo(input).Length, after = new FileInfo(candidate).Length;
            if (after >= before)
                throw new CliError($"{verb}: not written: {output} would be {after:N0} bytes, not smaller than {input} ({before:N0} bytes); {why}.");
            File.Move(candidate, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(candidate)) File.Delete(candidate);
        }
    }

    /// <summary>A student with at least its teacher's parameters cannot make a smaller file: refused before training.</summary>
    public static void CheckStudent(long studentParameters, long teacherParameters, string how)
    {
        if (studentParameters >= teacherParameters)
            throw new CliError($"distill: the student has {studentParameters:N0} parameters, its teacher {teacherParameters:N0}: it would not be smaller; {how}.");
    }

    /// <summary>The last line of a verb that wrote a file.</summary>
    public static void Wrote(string output) => Console.Error.WriteLine($"wrote {output}");
}
