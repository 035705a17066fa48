using System.Text.Json;

namespace TinyLM.Tests.Cli;

/// <summary>
/// The JSON fields docs/cli.md documents for one verb (a "### verb" or "#### object" section's table), and a check of
/// a printed object against them: no undocumented field, every field that is not optional present, each of the
/// documented type. Reading the page keeps the documentation and the output from drifting apart.
/// </summary>
internal sealed class DocumentedJson
{
    private readonly Dictionary<string, string> _types;

    private DocumentedJson(string section, Dictionary<string, string> types)
    {
        Section = section;
        _types = types;
    }

    public string Section { get; }

    public static DocumentedJson Of(string section)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "cli.md"));
        int start = Array.FindIndex(lines, l => l.TrimStart('#').Trim() == section && l.StartsWith("###", StringComparison.Ordinal));
        Assert.True(start >= 0, $"docs/cli.md has no section '### {section}'");
        var types = new Dictionary<string, string>();
        for (int i = start + 1; i < lines.Length && !lines[i].StartsWith('#'); i++)
        {
            // Table rows: | `name` | type | meaning |
            var cells = lines[i].Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length >= 4 && cells[1].StartsWith('`') && cells[1].EndsWith('`')) types[cells[1].Trim('`')] = cells[2];
        }
        Assert.True(types.Count > 0, $"docs/cli.md section '{section}' lists no fields");
        return new DocumentedJson(section, types);
    }

    /// <summary>Asserts <paramref name="value"/> matches the section; returns it for further checks.</summary>
    public JsonElement Check(JsonElement value)
    {
        Assert.Equal(JsonValueKind.Object, value.ValueKind);
        var seen = new HashSet<string>();
        foreach (var property in value.EnumerateObject())
        {
            Assert.True(_types.TryGetValue(property.Name, out var type), $"{Section}: field '{property.Name}' is not in docs/cli.md ({value})");
            Assert.True(KindFits(type, property.Value.ValueKind), $"{Section}: '{property.Name}' is {property.Value.ValueKind}, documented as {type}");
            seen.Add(property.Name);
        }
        foreach (var (name, type) in _types)
            if (!type.Contains("optional", StringComparison.Ordinal))
                Assert.True(seen.Contains(name), $"{Section}: documented field '{name}' is missing from {value}");
        return value;
    }

    private static bool KindFits(string type, JsonValueKind kind)
    {
        if (kind == JsonValueKind.Null) return type.Contains("nullable", StringComparison.Ordinal);
        string head = type.Split(',')[0].Trim();
        return head switch
        {
            "integer" or "number" => kind == JsonValueKind.Number,
            "string" => kind == JsonValueKind.String,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            _ when head.StartsWith("array", StringComparison.Ordinal) => kind == JsonValueKind.Array,
            _ => kind == JsonValueKind.Object, // object, measurement
        };
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TinyLM.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("TinyLM.slnx not found above " + AppContext.BaseDirectory);
    }
}
