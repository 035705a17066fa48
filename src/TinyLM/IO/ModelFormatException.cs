namespace TinyLM.IO;

/// <summary>
/// A model or tensor file is malformed, truncated, foreign or too new. Derives from
/// <see cref="IOException"/> (InvalidDataException is sealed) so a caller that handles
/// "could not read that file" in one place catches it with the rest.
/// </summary>
public sealed class ModelFormatException : IOException
{
    public ModelFormatException(string filePath, string problem)
        : base($"{filePath}: {problem}")
    {
        FilePath = filePath;
        Problem = problem;
    }

    public ModelFormatException(string filePath, string problem, Exception inner)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file (or in-memory source name) that failed validation.</summary>
    public string FilePath { get; }

    /// <summary>What was wrong, without the file name.</summary>
    public string Problem { get; }
}
