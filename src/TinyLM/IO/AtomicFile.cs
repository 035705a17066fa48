using System.Security.Cryptography;
using System.Text;

namespace TinyLM.IO;

/// <summary>
/// All-or-nothing file output: data goes to a temporary file in the target's folder, is flushed
/// to disk, then renamed over the target. A crash or exception leaves either the old file or the
/// new one, never a mix, and no temporary file behind (barring a crash between write and rename).
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix of the temporary files; a leftover one from a killed process is safe to delete.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>
    /// Runs <paramref name="write"/> against a fresh temporary file, then moves it over
    /// <paramref name="path"/>. The parent folder is created if missing. If <paramref name="write"/>
    /// throws, the temporary file is deleted, the exception propagates and the target is untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write) => Write(path, write, FileSystem.Default);

    /// <summary>
    /// The file operations a write makes, replaceable so tests can make them fail the way a full disk (ENOSPC while
    /// writing or flushing) or a read-only folder (EACCES on create) does, on any machine and without root.
    /// </summary>
    internal class FileSystem
    {
        public static readonly FileSystem Default = new();

        public virtual Stream CreateTemp(string path) => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);

        public virtual void Move(string from, string to) => File.Move(from, to, overwrite: true);
    }

    internal static void Write(string path, Action<Stream> write, FileSystem fs)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);

        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder", nameof(path));
        if (Directory.Exists(full)) throw new IOException($"{full}: is a folder, cannot write a file there");
        Directory.CreateDirectory(directory);

        RemoveStaleTemps(directory, Path.GetFileName(full));
        // Same folder as the target, so the rename never crosses a file system and stays atomic. The process id in the
        // name tells a later write whether the writer is still alive (see RemoveStaleTemps).
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{RandomTag()}{TempSuffix}");
        try
        {
            using (var stream = fs.CreateTemp(temp))
            {
                write(stream);
                if (stream.CanWrite)
                {
                    if (stream is FileStream file) file.Flush(flushToDisk: true);
                    else stream.Flush();
                }
                else
                {
                    // The callback disposed the stream (e.g. via a BinaryWriter): its bytes reached the
                    // OS but were never forced to disk, so reopen and force them.
                    using var again = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                    again.Flush(flushToDisk: true);
                }
            }

            fs.Move(temp, full);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) =>
        Write(path, stream => stream.Write(bytes.Span));

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="text"/> as UTF-8 without a BOM.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
    }

    /// <summary>
    /// Deletes the temporary files of earlier writes to the same target whose process has died (killed between write
    /// and rename): they would otherwise pile up, hidden, one per kill. A temp of a live process (a concurrent writer)
    /// is left alone, and so is any name this class did not make.
    /// </summary>
    private static void RemoveStaleTemps(string directory, string fileName)
    {
        string prefix = $".{fileName}.";
        foreach (string temp in Directory.EnumerateFiles(directory, $"{prefix}*{TempSuffix}"))
        {
            string[] parts = Path.GetFileName(temp)[prefix.Length..^TempSuffix.Length].Split('.');
            if (parts.Length == 2 && int.TryParse(parts[0], out int pid) && parts[1].Length == 12 && !IsRunning(pid)) TryDelete(temp);
        }
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string RandomTag()
    {
        Span<byte> b = stackalloc byte[6];
        RandomNumberGenerator.Fill(b);
        return Convert.ToHexStringLower(b);
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // The original exception matters more than a temp file we could not remove.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
