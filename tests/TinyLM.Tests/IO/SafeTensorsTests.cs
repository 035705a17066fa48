using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using TinyLM.IO;

namespace TinyLM.Tests.IO;

public class SafeTensorsTests
{
    [Fact]
    public void Writer_output_matches_the_layout_written_out_by_hand()
    {
        var tensors = new[]
        {
            SafeTensor.FromSBytes("q", [3], [1, 2, -3]),
            SafeTensor.FromFloats("w", [2], [1f, -2f]),
        };
        byte[] actual = SafeTensorsFile.Serialize(tensors, new Dictionary<string, string> { ["k"] = "v" });

        // Reference layout: metadata first, tensors by descending dtype (F32 before I8), offsets
        // relative to the data section, JSON padded with spaces to a multiple of 8.
        const string json = "{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"q\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[8,11]}}";
        byte[] data = [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x01, 0x02, 0xFD];
        byte[] expected = SafeTensorsTestData.Image(json, data);
        Assert.Equal(expected, actual);
        Assert.Equal(0, (actual.Length - data.Length) % 8);
        Assert.Equal(136UL, BinaryPrimitives.ReadUInt64LittleEndian(actual));
    }

    [Fact]
    public void Reads_the_reference_implementations_documented_example()
    {
        // From the safetensors crate's docs: a 60-byte unpadded header and a 2x2 I32 tensor of zeros.
        byte[] image = SafeTensorsTestData.Image("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", new byte[16], padTo8: false);
        Assert.Equal(60UL, BinaryPrimitives.ReadUInt64LittleEndian(image));
        SafeTensorsFile file = SafeTensorsFile.Parse(image, "doc-example");
        SafeTensor t = Assert.Single(file.Tensors);
        Assert.Equal("test", t.Name);
        Assert.Equal(SafeTensorDType.I32, t.DType);
        Assert.Equal([2, 2], t.ShapeArray());
        Assert.Equal([0, 0, 0, 0], t.ToInt32Array());
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Round_trips_every_dtype_shape_and_metadata()
    {
        var rng = new Random(1234);
        var floats = new float[2 * 3 * 5];
        for (int i = 0; i < floats.Length; i++) floats[i] = (float)(rng.NextDouble() * 2 - 1);
        var tensors = new List<SafeTensor>
        {
            SafeTensor.FromFloats("encoder.weight_ih_l0", [2, 3, 5], floats),
            SafeTensor.FromFloats("scalar", [], [42.5f]),
            SafeTensor.FromFloats("empty", [0, 4], []),
            SafeTensor.FromSBytes("q.weight", [2, 2], [-128, 127, 0, -1]),
            SafeTensor.FromBytes("mask", [3], [0, 1, 255]),
            SafeTensor.FromInt32s("ids", [4], [int.MinValue, -1, 0, int.MaxValue]),
            SafeTensor.FromInt64s("big", [2], [long.MinValue, long.MaxValue]),
            new("half", SafeTensorDType.F16, [3], new byte[] { 0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38 }),
            new("brain", SafeTensorDType.BF16, [3], new byte[] { 0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40 }),
            new("model.layers.0.attention.wq.weight", SafeTensorDType.F64, [1], BitConverter.GetBytes(0.1)),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\" <b>&" };
        byte[] image = SafeTensorsFile.Serialize(tensors, metadata);
        SafeTensorsFile file = SafeTensorsFile.Parse(image, "roundtrip");

        Assert.Equal(tensors.Count, file.Tensors.Count);
        foreach (SafeTensor expected in tensors)
        {
            SafeTensor actual = file[expected.Name];
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.ShapeArray(), actual.ShapeArray());
            Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
        }

        Assert.Equal(floats, file["encoder.weight_ih_l0"].ToFloatArray());
        Assert.Equal([42.5f], file["scalar"].ToFloatArray());
        Assert.Equal(0, file["empty"].ElementCount);
        Assert.Equal([1f, -2f, 0.5f], file["half"].ToFloatArray());
        Assert.Equal([1f, -2f, 3.140625f], file["brain"].ToFloatArray());
        Assert.Equal([-128, 127, 0, -1], file["q.weight"].ToSByteArray());
        Assert.Equal([long.MinValue, long.MaxValue], file["big"].ToInt64Array());
        Assert.Equal((float)0.1, file["model.layers.0.attention.wq.weight"].ToFloatArray()[0]);
        Assert.Equal(metadata, file.Metadata);

        // Every tensor starts at a multiple of its element size.
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(image);
        Assert.Equal(0, dataStart % 8);
        foreach (SafeTensor t in file.Tensors)
        {
            Assert.True(MemoryMarshalOffset(image, t) % t.DType.Size() == 0, t.Name);
        }

        Assert.Equal(image, SafeTensorsFile.Serialize(file.Tensors, file.Metadata));
    }

    private static long MemoryMarshalOffset(byte[] image, SafeTensor t)
    {
        if (t.Data.Length == 0) return 0;
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(t.Data, out ArraySegment<byte> segment));
        Assert.Same(image, segment.Array);
        return segment.Offset - (8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(image));
    }

    [Fact]
    public void Writer_rejects_duplicate_and_reserved_names()
    {
        var a = SafeTensor.FromFloats("x", [1], [1f]);
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Serialize([a, SafeTensor.FromFloats("x", [1], [2f])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Serialize([SafeTensor.FromFloats("__metadata__", [1], [1f])]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("bad", SafeTensorDType.F32, [2, 2], new byte[15]));
    }

    public static TheoryData<string, string, int, string> CorruptHeaders => new()
    {
        // header JSON, description, data length, expected fragment of the message
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "overlap", 12, "overlap" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", "gap", 12, "gaps" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "size mismatch", 8, "needs 12 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "out of bounds", 8, "run past" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "reversed", 4, "end before" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "trailing", 8, "after the last tensor" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "duplicate", 8, "more than once" },
        { "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", "dtype", 1, "unsupported dtype 'F8_E4M3'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "negative dim", 4, "shape[0]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "fractional dim", 4, "shape[0]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "one offset", 4, "two integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "missing offsets", 4, "missing 'data_offsets'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", "unknown field", 4, "unexpected or repeated field 'extra'" },
        { "{\"__metadata__\":{\"k\":1}}", "metadata not string", 0, "must be a string" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "bad JSON", 4, "not valid JSON" },
        { "[1,2,3]", "not object", 0, "does not start with '{'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647,4],\"data_offsets\":[0,4]}}", "overflow", 4, "overflows" },
    };

    [Theory]
    [MemberData(nameof(CorruptHeaders))]
    public void Corrupt_headers_fail_with_a_message_naming_the_file_and_problem(string json, string description, int dataLength, string fragment)
    {
        byte[] image = SafeTensorsTestData.Image(json, new byte[dataLength]);
        ModelFormatException ex = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Parse(image, "corrupt.safetensors"));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("corrupt.safetensors: ", ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(description));
    }

    [Fact]
    public void Short_or_foreign_images_fail_clearly()
    {
        Assert.Contains("empty", Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Parse(Array.Empty<byte>(), "e")).Message, StringComparison.Ordinal);
        Assert.Contains("too short", Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Parse(new byte[5], "s")).Message, StringComparison.Ordinal);
        byte[] text = Encoding.UTF8.GetBytes("hello world, this is a text file and not tensors\n");
        Assert.Contains("not a safetensors file", Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Parse(text, "t")).Message, StringComparison.Ordinal);
        var smallLength = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(smallLength, 40);
        Assert.Contains("does not start with '{'", Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Parse(smallLength, "z")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Python_with_numpy_reads_our_file_and_we_read_its_file_when_available()
    {
        // Always-on part: the hand-written layout test above pins the bytes. This part adds an
        // independent reader/writer (json + numpy) where python3 with numpy exists.
        string? python = FindPythonWithNumpy();
        if (python is null) return;

        string dir = SafeTensorsTestData.TempDir();
        string ours = Path.Combine(dir, "ours.safetensors"), theirs = Path.Combine(dir, "theirs.safetensors");
        SafeTensorsFile.Write(ours, [SafeTensor.FromFloats("w", [2, 3], [1, 2, 3, 4, 5, 6.5f]), SafeTensor.FromSBytes("q", [2], [-5, 7])],
            new Dictionary<string, string> { ["who"] = "tinylm" });
        const string script = """
import json, struct, sys, numpy as np
src, dst = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
data = b[8 + n:]
w = np.frombuffer(data[h['w']['data_offsets'][0]:h['w']['data_offsets'][1]], dtype='<f4').reshape(h['w']['shape'])
q = np.frombuffer(data[h['q']['data_offsets'][0]:h['q']['data_offsets'][1]], dtype='i1')
assert h['__metadata__']['who'] == 'tinylm', h
out = (w * 2).astype('<f4').tobytes() + q.astype('<i8').tobytes()
hdr = json.dumps({'w2': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 24]}, 'q64': {'dtype': 'I64', 'shape': [2], 'data_offsets': [24, 40]}}).encode()
open(dst, 'wb').write(struct.pack('<Q', len(hdr)) + hdr + out)
print(float(w.sum()), int(q.sum()))
""";
        string scriptPath = Path.Combine(dir, "interop.py");
        File.WriteAllText(scriptPath, script);
        (int code, string output) = Run(python, $"\"{scriptPath}\" \"{ours}\" \"{theirs}\"");
        Assert.True(code == 0, output);
        Assert.Equal("21.5 2", output.Trim());

        SafeTensorsFile file = SafeTensorsFile.Read(theirs);
        Assert.Equal([2, 4, 6, 8, 10, 13f], file["w2"].ToFloatArray());
        Assert.Equal([-5L, 7L], file["q64"].ToInt64Array());
        Directory.Delete(dir, recursive: true);
    }

    internal static string? FindPythonWithNumpy()
    {
        foreach (string candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                if (Run(candidate, "-c \"import numpy\"").Code == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed; try the next one.
            }
        }

        return null;
    }

    internal static (int Code, string Output) Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr);
    }
}
