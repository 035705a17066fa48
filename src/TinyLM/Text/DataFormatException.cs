namespace TinyLM.Text;

/// <summary>
/// Bad input in a data or tokenizer file. <see cref="Exception.Message"/> reads
/// <c>file:line: what was wrong</c> so a user can jump straight to the problem.
/// </summary>
public sealed class DataFormatException : FormatException
{
    public DataFormatException(string file, int line, string problem)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    public DataFormatException(string file, int line, string problem, Exception inner)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}", inner)
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    /// <summary>The file (or source name) that held the bad input.</summary>
    public string File { get; }

    /// <summary>1-based line number, or 0 when the problem concerns the whole file.</summary>
    public int Line { get; }

    /// <summary>The problem without the file/line prefix.</summary>
    public string Problem { get; }
}
