using System.Buffers.Binary;
using System.Runtime.InteropServices;
using TinyLM.Models;
using TinyLM.Tensors;

namespace TinyLM.IO;

/// <summary>
/// llama2.c checkpoints (the "legacy" .bin that run.c reads): seven little-endian int32 — dim, hidden_dim,
/// n_layers, n_heads, n_kv_heads, vocab_size, seq_len, where a negative vocab_size means the classifier is
/// not shared with the embedding — then float32 arrays in the order of <see cref="LlamaWeights.Arrays"/>, with
/// the two legacy RoPE tables (seq_len · head_size / 2 floats each) between rms_final_weight and wcls.
/// </summary>
public static class Llama2cCheckpoint
{
    /// <summary>Bytes of the header.</summary>
    public const int HeaderBytes = 7 * sizeof(int);

    // export.py's versioned formats start with this magic ("ak42"); run.c does not read them.
    private const uint VersionedMagic = 0x616b3432;

    /// <summary>Reads and validates a checkpoint; every size is checked against the file length before reading.</summary>
    public static LlamaWeights Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Reads from a seekable <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static LlamaWeights Read(Stream stream, string source)
    {
        LlamaShape shape = ReadHeader(stream, source);
        var w = new LlamaWeights(shape);
        foreach ((string name, float[] values) in w.Arrays())
        {
            if (name == "wcls") SkipRopeTables(stream, shape);
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        if (shape.SharedClassifier) SkipRopeTables(stream, shape);
        return w;
    }

    /// <summary>
    /// Reads a checkpoint straight into a new <see cref="CausalLM"/>: each array is read from the file into the model's
    /// parameter, so loading holds one copy of the weights (peak memory about the file's size) instead of the file's
    /// arrays and the model's side by side. The header is validated against the file length first, as in <see cref="Read(string)"/>.
    /// </summary>
    public static CausalLM ReadModel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        LlamaShape shape = ReadHeader(stream, path);
        var model = new CausalLM(LlamaConversion.ToConfig(shape));
        foreach ((string array, Tensor parameter) in LlamaConversion.ParametersInFileOrder(model))
        {
            if (array == "wcls") SkipRopeTables(stream, shape);
            stream.ReadExactly(MemoryMarshal.AsBytes(parameter.AsSpan()));
        }
        if (shape.SharedClassifier) SkipRopeTables(stream, shape);
        if (stream.Position != stream.Length) // the model's parameters and the header's arrays must agree to the byte
            throw new InvalidOperationException($"{path}: read {stream.Position} of {stream.Length} bytes into the model; the llama2.c layout and the model disagree.");
        return model;
    }

    // The validated shape; the stream is left at the first weight. Every size is checked against the length first.
    private static LlamaShape ReadHeader(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        LlamaEndianness.Check(source);
        long length = stream.Length - stream.Position;
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (length < HeaderBytes)
            throw new ModelFormatException(source, $"llama2.c checkpoint is truncated: {length} bytes, shorter than the {HeaderBytes}-byte header.");
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) == VersionedMagic)
            throw new ModelFormatException(source, $"this is a versioned llama2.c export (magic \"ak42\", version {BinaryPrimitives.ReadInt32LittleEndian(header[4..])}); only the legacy format that run.c reads is supported (export.py --version 0).");
        Span<int> h = stackalloc int[7];
        for (int i = 0; i < 7; i++) h[i] = BinaryPrimitives.ReadInt32LittleEndian(header[(4 * i)..]);
        // The sign of vocab_size says whether the classifier is shared; int.MinValue has no magnitude to take.
        if (h[5] == int.MinValue)
            throw new ModelFormatException(source, $"not a llama2.c checkpoint: header vocab_size is {h[5]}.");
        var shape = new LlamaShape(h[0], h[1], h[2], h[3], h[4], Math.Abs(h[5]), h[6], SharedClassifier: h[5] > 0);
        try
        {
            shape.Validate(source);
        }
        catch (ModelFormatException ex)
        {
            throw new ModelFormatException(source, $"not a llama2.c checkpoint (header dim={h[0]} hidden_dim={h[1]} n_layers={h[2]} n_heads={h[3]} n_kv_heads={h[4]} vocab_size={h[5]} seq_len={h[6]}): {ex.Problem}", ex);
        }
        long expected;
        try
        {
            expected = checked(HeaderBytes + 4 * FloatCount(shape));
        }
        catch (OverflowException)
        {
            throw new ModelFormatException(source, $"llama2.c header ({shape}) describes more weights than any file can hold (sizes overflow 64 bits); the file is {length} bytes.");
        }
        if (length != expected)
            throw new ModelFormatException(source, length < expected
                ? $"llama2.c checkpoint is truncated: {length} bytes, the header ({shape}) needs {expected}."
                : $"llama2.c checkpoint has {length - expected} unexpected trailing bytes after the {expected} that the header ({shape}) describes.");
        return shape;
    }

    /// <summary>Writes <paramref name="weights"/> atomically in the legacy format (RoPE tables included, as run.c expects).</summary>
    public static void Write(string path, LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        AtomicFile.Write(path, stream => Write(stream, weights));
    }

    public static void Write(Stream stream, LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(weights);
        LlamaEndianness.Check("llama2.c writer");
        LlamaShape s = weights.Shape;
        Span<byte> header = stackalloc byte[HeaderBytes];
        ReadOnlySpan<int> h = [s.Dim, s.HiddenDim, s.Layers, s.Heads, s.KvHeads, s.SharedClassifier ? s.VocabSize : -s.VocabSize, s.ContextLength];
        for (int i = 0; i < 7; i++) BinaryPrimitives.WriteInt32LittleEndian(header[(4 * i)..], h[i]);
        stream.Write(header);
        foreach ((string name, float[] values) in weights.Arrays())
        {
            if (name == "wcls") WriteRopeTables(stream, s);
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        if (s.SharedClassifier) WriteRopeTables(stream, s);
    }

    /// <summary>Floats after the header for <paramref name="shape"/>, RoPE tables included.</summary>
    public static long FloatCount(LlamaShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long c = shape.Dim, f = shape.HiddenDim, l = shape.Layers, q = (long)shape.Heads * shape.HeadDim, kv = (long)shape.KvHeads * shape.HeadDim;
        // Checked: a hostile header (dim 2^30) must not wrap to a small or negative size that a file could match.
        return checked(shape.VocabSize * c + l * c + l * q * c + 2 * l * kv * c + l * c * q + l * c + 3 * l * f * c + c
                       + RopeTableFloats(shape) * 2 + (shape.SharedClassifier ? 0 : shape.VocabSize * c));
    }

    private static long RopeTableFloats(LlamaShape s) => (long)s.ContextLength * s.HeadDim / 2;

    private static void SkipRopeTables(Stream stream, LlamaShape s) => stream.Seek(8 * RopeTableFloats(s), SeekOrigin.Current);

    // Legacy files carried cos/sin tables that run.c now ignores; write them for readers that still use them.
    private static void WriteRopeTables(Stream stream, LlamaShape s)
    {
        int half = s.HeadDim / 2;
        var real = new float[s.ContextLength * half];
        var imag = new float[s.ContextLength * half];
        for (int p = 0; p < s.ContextLength; p++)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = p * Math.Pow(s.RopeTheta, -2.0 * i / s.HeadDim);
                real[p * half + i] = (float)Math.Cos(angle);
                imag[p * half + i] = (float)Math.Sin(angle);
            }
        }
        stream.Write(MemoryMarshal.AsBytes(real.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(imag.AsSpan()));
    }
}
