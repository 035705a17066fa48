using System.Text;
using System.Text.Json;

namespace TinyLM.Cli.Common;

/// <summary>Writes one JSON object as one line on standard output (the last line of a --json run).</summary>
public static class JsonLine
{
    public static void Print(Action<Utf8JsonWriter> writeProperties)
    {
        Console.Out.WriteLine(Render(writeProperties));
        Console.Out.Flush();
    }

    public static string Render(Action<Utf8JsonWriter> writeProperties)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
