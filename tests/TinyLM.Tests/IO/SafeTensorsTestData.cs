using System.Buffers.Binary;
using System.Text;

namespace TinyLM.Tests.IO;

/// <summary>Builds safetensors images byte by byte, so tests can state layouts and corruptions exactly.</summary>
internal static class SafeTensorsTestData
{
    public static byte[] Image(string headerJson, byte[] data, bool padTo8 = true)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        int length = padTo8 ? (header.Length + 7) & ~7 : header.Length;
        var image = new byte[8 + length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(image, (ulong)length);
        header.CopyTo(image, 8);
        image.AsSpan(8 + header.Length, length - header.Length).Fill((byte)' ');
        data.CopyTo(image, 8 + length);
        return image;
    }

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tinylm-io-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
