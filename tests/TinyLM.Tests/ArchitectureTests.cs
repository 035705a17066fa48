using System.Text.RegularExpressions;

namespace TinyLM.Tests;

/// <summary>Lower layers must never name a higher layer's namespace (DESIGN.md, "Layers").</summary>
public partial class ArchitectureTests
{
    private static readonly string[] Layers = ["Kernels", "Tensors", "Nn", "Text", "Models", "Training", "Compression", "IO"];

    [GeneratedRegex(@"\bTinyLM\.(Kernels|Tensors|Nn|Text|Models|Training|Compression|IO|Cli)\b")]
    private static partial Regex NamespaceReference();

    [Fact]
    public void Lower_layers_do_not_name_higher_namespaces()
    {
        string src = Path.Combine(FindRepositoryRoot(), "src", "TinyLM");
        Assert.True(Directory.Exists(src), $"source folder not found: {src}");
        var violations = new List<string>();
        int files = 0;
        foreach (string file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(src, file);
            if (rel.StartsWith("bin", StringComparison.Ordinal) || rel.StartsWith("obj", StringComparison.Ordinal)) continue;
            string folder = rel.Split(Path.DirectorySeparatorChar)[0];
            int level = Array.IndexOf(Layers, folder);
            if (level < 0) continue;
            files++;
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].TrimStart();
                if (line.StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match m in NamespaceReference().Matches(lines[i]))
                {
                    string target = m.Groups[1].Value;
                    int targetLevel = target == "Cli" ? Layers.Length : Array.IndexOf(Layers, target);
                    if (targetLevel > level) violations.Add($"{rel}:{i + 1}: layer {folder} names TinyLM.{target}");
                }
            }
        }
        Assert.True(files > 0, "no layer files scanned");
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [GeneratedRegex(@"\bLlama2c\w*")]
    private static partial Regex Llama2cName();

    [GeneratedRegex(@"\b(Gguf|Ggml)\w*")]
    private static partial Regex GgufName();

    // Both formats share one namespace (TinyLM.IO), so the namespace rule above cannot see them
    // reaching into each other; what they share lives in IO/Llama.
    [Fact]
    public void Gguf_and_llama2c_code_do_not_name_each_other()
    {
        string io = Path.Combine(FindRepositoryRoot(), "src", "TinyLM", "IO");
        var violations = new List<string>();
        violations.AddRange(Mentions(Path.Combine(io, "Gguf"), Llama2cName()));
        violations.AddRange(Mentions(Path.Combine(io, "Llama2c"), GgufName()));
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    private static IEnumerable<string> Mentions(string folder, Regex name)
    {
        string[] files = Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match m in name.Matches(lines[i]))
                    yield return $"{Path.GetFileName(folder)}/{Path.GetFileName(file)}:{i + 1}: names {m.Value}";
            }
        }
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TinyLM.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("TinyLM.slnx not found above " + AppContext.BaseDirectory);
    }
}
