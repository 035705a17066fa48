using System.Buffers.Binary;
using System.IO.Compression;

namespace TinyLM.Tests.Text;

/// <summary>Writes small IDX files for tests (the MNIST layout, optionally gzip-compressed).</summary>
internal static class IdxTestFiles
{
    public static byte[] Bytes(int[] dims, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
    }

    /// <summary>
    /// A learnable toy set in <paramref name="dir"/> named like Fashion-MNIST's files: class k of <paramref name="classes"/>
    /// is a bright horizontal bar in band k of the image, plus noise.
    /// </summary>
    public static void WriteToySet(string dir, string prefix, int count, int size, int classes, int seed, bool gzip)
    {
        var rng = new Random(seed);
        var pixels = new byte[count * size * size];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % classes;
            labels[n] = (byte)label;
            int band = size / classes;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    bool on = y / Math.Max(1, band) == label;
                    pixels[(n * size + y) * size + x] = (byte)Math.Clamp((on ? 200 : 30) + rng.Next(-30, 30), 0, 255);
                }
        }
        string ext = gzip ? ".gz" : "";
        Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte{ext}"), Bytes([count, size, size], pixels), gzip);
        Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{ext}"), Bytes([count], labels), gzip);
    }
}
