using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace TinyLM.Cli.Common;

/// <summary>
/// Writes one result record as one line of JSON on standard output (the last line of a --json run). The records'
/// serializers are source-generated (<see cref="CliJson"/>), so the CLI stays trimmable and NativeAOT-compatible.
/// </summary>
public static class JsonLine
{
    // Labels, texts and paths print as typed (no \u escapes for non-ASCII); the output is never embedded in HTML.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Print<T>(T value, JsonTypeInfo<T> type)
    {
        Console.Out.WriteLine(Render(value, type));
        Console.Out.Flush();
    }

    public static string Render<T>(T value, JsonTypeInfo<T> type)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
            JsonSerializer.Serialize(writer, value, type);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
