using System.Buffers.Binary;
using System.IO.Compression;

namespace TinyLM.Text;

/// <summary>An IDX array: its dimensions (outermost first) and its unsigned bytes, row-major.</summary>
public sealed record IdxArray(string Source, int[] Dims, byte[] Data)
{
    /// <summary>Number of items along the outermost dimension (images, labels).</summary>
    public int Count => Dims[0];
}

/// <summary>
/// Reads IDX files, the MNIST family's format: two zero bytes, a type code (only 0x08, unsigned byte, is read), the
/// number of dimensions, each dimension as a big-endian int32, then the data. A gzip-compressed file (as the
/// MNIST and Fashion-MNIST distributions ship) is read through <see cref="GZipStream"/>. Every check names the file
/// and what was expected; no buffer larger than the data actually present is allocated, whatever the header claims.
/// </summary>
public static class IdxFile
{
    /// <summary>Largest number of dimensions accepted (images with channels need 4).</summary>
    public const int MaxDims = 4;

    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such IDX file.", path);
        using var file = File.OpenRead(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        try
        {
            if (!gzip) return Read(file, path, file.Length);
            using var unzip = new GZipStream(file, CompressionMode.Decompress);
            return Read(unzip, path, null);
        }
        catch (InvalidDataException ex)
        {
            throw new DataFormatException(path, 0, $"the gzip stream is corrupt ({ex.Message}).", ex);
        }
    }

    /// <summary>Reads an IDX array from <paramref name="stream"/>; <paramref name="length"/> is its size in bytes when known.</summary>
    public static IdxArray Read(Stream stream, string source, long? length)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> head = stackalloc byte[4];
        if (ReadFull(stream, head) < 4)
            throw new DataFormatException(source, 0, "truncated IDX header: expected 4 bytes (0, 0, type, number of dimensions).");
        if (head[0] != 0 || head[1] != 0)
            throw new DataFormatException(source, 0, $"not an IDX file: expected the magic to start with two zero bytes, found 0x{head[0]:x2} 0x{head[1]:x2}.");
        if (head[2] != 0x08)
            throw new DataFormatException(source, 0, $"IDX type 0x{head[2]:x2} ({TypeName(head[2])}) is not supported; expected 0x08 (unsigned byte).");
        int rank = head[3];
        if (rank is < 1 or > MaxDims)
            throw new DataFormatException(source, 0, $"IDX header declares {rank} dimensions; expected 1 to {MaxDims}.");
        Span<byte> dimBytes = stackalloc byte[4 * MaxDims];
        if (ReadFull(stream, dimBytes[..(4 * rank)]) < 4 * rank)
            throw new DataFormatException(source, 0, $"truncated IDX header: expected {rank} big-endian int32 dimension sizes.");
        var dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.Slice(4 * i, 4));
            if (dims[i] < 0) throw new DataFormatException(source, 0, $"IDX dimension {i} is {dims[i]}; expected a non-negative size.");
            total *= dims[i];
            if (total > Array.MaxLength)
                throw new DataFormatException(source, 0, $"IDX dimensions ({string.Join("×", dims[..(i + 1)])}…) hold more than {Array.MaxLength} bytes.");
        }
        long header = 4 + 4L * rank;
        string shape = string.Join("×", dims);
        if (length is { } size && size - header != total)
            throw new DataFormatException(source, 0, size - header < total
                ? $"truncated: the header declares {shape} = {total} data bytes, the file holds {size - header}."
                : $"the header declares {shape} = {total} data bytes, the file holds {size - header} ({size - header - total} extra).");
        // Grow the buffer with what arrives (a compressed stream's size is unknown), so a lying header costs nothing.
        var data = new byte[Math.Min(total, 1 << 20)];
        long read = 0;
        while (read < total)
        {
            if (read == data.Length) Array.Resize(ref data, (int)Math.Min(total, 2L * data.Length));
            int n = stream.Read(data, (int)read, (int)(data.Length - read));
            if (n == 0) throw new DataFormatException(source, 0, $"truncated: the header declares {shape} = {total} data bytes, only {read} follow.");
            read += n;
        }
        if (stream.ReadByte() >= 0)
            throw new DataFormatException(source, 0, $"the header declares {shape} = {total} data bytes, but more data follows.");
        return new IdxArray(source, dims, data);
    }

    private static int ReadFull(Stream stream, Span<byte> buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = stream.Read(buffer[got..]);
            if (n == 0) break;
            got += n;
        }
        return got;
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown",
    };
}
