using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using TinyLM.Compression;
using TinyLM.Kernels;

namespace TinyLM.IO;

/// <summary>
/// How quantized weights sit in a model file. int8: "NAME" as I8 (rows, cols) plus "NAME.scale" (rows) as F16
/// when every scale is an exact float16 value (what <see cref="HalfScaleInt8"/> produces), else F32; both are read.
/// q8_0 / q4_0 / q4_k: "NAME" as U8 (rows, bytes per row) holding llama.cpp blocks verbatim. The metadata key
/// <see cref="ModelFile.QuantizationKey"/> holds {"type": "int8", "tensors": {"NAME": "int8", …}}; any parameter
/// not listed there is F32 as usual. The linear SVM head's "svm.weight" listed as int8 is an <see cref="Int8Table"/>:
/// "svm.weight.scale" F16 or F32, of shape (rows) for one scale per row or (1, C) for one per class column, and the
/// values either dense as "svm.weight" I8 (rows, C) or, when that is smaller, as "svm.weight.mask" (U8, one bit per
/// element, as <see cref="SparseTensors"/>) plus "svm.weight.values" (I8, the non-zero values in row-major order).
/// </summary>
internal static class QuantizedTensors
{
    public const string ScaleSuffix = ".scale";

    /// <summary>The file's quantization header, or null for a float32 model.</summary>
    public sealed record Header(QuantizationType Type, IReadOnlyDictionary<string, QuantizationType> Tensors);

    /// <summary>The header for a model of <paramref name="type"/> whose listed tensors are stored quantized.</summary>
    public static string ToJson(QuantizationType type, IEnumerable<(string Name, QuantizationType Type)> tensors)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", type.ToName());
            w.WriteStartObject("tensors");
            foreach (var (name, t) in tensors) w.WriteString(name, t.ToName());
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Adds every parameter under one storage policy, whatever the model: a parameter that runs from a quantized matrix
    /// (<paramref name="formats"/>) is stored in that form, any other one by <paramref name="addFloat"/>. Returns the
    /// quantized ones with their types, in parameter order, for the header.
    /// </summary>
    public static List<(string Name, QuantizationType Type)> AddParameters(ModelFileContents contents,
        IEnumerable<KeyValuePair<string, Tensors.Tensor>> parameters, IReadOnlyDictionary<string, IWeightMatrix> formats,
        Action<string, Tensors.Tensor> addFloat)
    {
        var stored = new List<(string, QuantizationType)>();
        foreach (var (name, tensor) in parameters)
        {
            if (formats.TryGetValue(name, out var matrix) && QuantizationTypeExtensions.TryTypeOf(matrix, out var type))
            {
                Add(contents, new QuantizedWeight(name, type, matrix));
                stored.Add((name, type));
            }
            else addFloat(name, tensor);
        }
        return stored;
    }

    /// <summary>
    /// Reads parameter <paramref name="name"/> stored as <paramref name="type"/> (an <see cref="Int8Table"/> when
    /// <paramref name="table"/>), writes its dequantized values into <paramref name="parameter"/> (so every code path
    /// sees the same model) and returns the quantized matrix the layer runs from.
    /// </summary>
    public static IWeightMatrix ReadInto(ModelFileContents contents, string path, string name, QuantizationType type, Tensors.Tensor parameter, bool table = false)
    {
        IWeightMatrix matrix = table ? ReadInt8Table(contents, path, name, parameter.Dim(0), parameter.Dim(1))
            : Read(contents, path, name, type, parameter.Dim(0), parameter.Dim(1)).Matrix;
        if (matrix is Int8Table t) t.Dequantize(parameter.AsSpan());
        else Nn.WeightRows.Dequantize(matrix).CopyTo(parameter.AsSpan());
        return matrix;
    }

    public static void Add(ModelFileContents contents, QuantizedWeight weight)
    {
        switch (weight.Matrix)
        {
            case Int8Table table:
                AddInt8Table(contents, weight.Name, table);
                break;
            case Int8Matrix m:
                contents.Tensors.Add(SafeTensor.FromSBytes(weight.Name, [m.Rows, m.Cols], m.Values()));
                if (HalfScaleInt8.HasHalfScales(m)) contents.Tensors.Add(HalfTensor(weight.Name + ScaleSuffix, [m.Rows], m.Scales));
                else contents.AddFloats(weight.Name + ScaleSuffix, [m.Rows], m.Scales);
                break;
            case BlockMatrix m:
                contents.Tensors.Add(SafeTensor.FromBytes(weight.Name, [m.Rows, m.RowBytes], m.Data));
                break;
            default:
                throw new ArgumentException($"quantized weight '{weight.Name}' has no file form ({weight.Matrix.GetType().Name}).");
        }
    }

    /// <summary>Adds an int8 table: dense or sparse, whichever takes fewer bytes.</summary>
    public static void AddInt8Table(ModelFileContents contents, string name, Int8Table table)
    {
        long count = table.Values.Length, nonZero = count - table.Zeros;
        if ((count + 7) / 8 + nonZero < count)
        {
            var mask = new byte[(count + 7) / 8];
            var kept = new sbyte[nonZero];
            int k = 0;
            for (int i = 0; i < count; i++)
            {
                if (table.Values[i] == 0) continue;
                mask[i >> 3] |= (byte)(1 << (i & 7));
                kept[k++] = table.Values[i];
            }
            contents.Tensors.Add(SafeTensor.FromBytes(name + SparseTensors.MaskSuffix, [mask.Length], mask));
            contents.Tensors.Add(SafeTensor.FromSBytes(name + SparseTensors.ValuesSuffix, [kept.Length], kept));
        }
        else contents.Tensors.Add(SafeTensor.FromSBytes(name, [table.Rows, table.Cols], table.Values));
        int[] scaleShape = table.PerColumn ? [1, table.Cols] : [table.Rows];
        if (table.HasHalfScales) contents.Tensors.Add(HalfTensor(name + ScaleSuffix, scaleShape, table.Scales));
        else contents.AddFloats(name + ScaleSuffix, scaleShape, table.Scales);
    }

    /// <summary>Reads an int8 table of shape (rows, cols), dense or sparse; every size is checked first.</summary>
    public static Int8Table ReadInt8Table(ModelFileContents contents, string path, string name, int rows, int cols)
    {
        if (!contents.TryGetTensor(name + ScaleSuffix, out var scales))
            throw new ModelFormatException(path, $"int8 weight '{name}' has no '{name}{ScaleSuffix}'.");
        // Rank tells the layouts apart: (rows) one scale per row, (1, cols) one per column.
        bool perColumn = scales.Shape.Length == 2;
        Expect(scales, scales.DType == SafeTensorDType.F16 ? SafeTensorDType.F16 : SafeTensorDType.F32, perColumn ? [1, cols] : [rows], path,
            "one F16 or F32 scale per row (rows) or per column (1, cols)");
        bool dense = contents.TryGetTensor(name, out var stored);
        bool sparse = contents.TryGetTensor(name + SparseTensors.MaskSuffix, out var mask);
        if (dense == sparse)
            throw new ModelFormatException(path, dense ? $"int8 weight '{name}' is stored both dense and sparse ('{name}{SparseTensors.MaskSuffix}')."
                : $"int8 weight '{name}' is missing.");
        try
        {
            if (dense)
            {
                Expect(stored, SafeTensorDType.I8, [rows, cols], path, "int8 values");
                return Int8Table.FromQuantized(MemoryMarshal.Cast<byte, sbyte>(stored.Data.Span), scales.ToFloatArray(), rows, cols, perColumn);
            }
            if (!contents.TryGetTensor(name + SparseTensors.ValuesSuffix, out var values))
                throw new ModelFormatException(path, $"sparse int8 weight '{name}' has a mask but no '{name}{SparseTensors.ValuesSuffix}'.");
            Expect(mask, SafeTensorDType.U8, [(int)(((long)rows * cols + 7) / 8)], path, "one bit per element");
            if (values.DType != SafeTensorDType.I8 || values.Shape.Length != 1)
                throw new ModelFormatException(path, $"'{values.Name}' is {values.DType.ToHeaderName()} [{string.Join(", ", values.ShapeArray())}], expected an I8 vector.");
            var decoded = new sbyte[(long)rows * cols];
            SparseTensors.Decode(mask.Data.Span, MemoryMarshal.Cast<byte, sbyte>(values.Data.Span), decoded.AsSpan());
            return Int8Table.FromQuantized(decoded, scales.ToFloatArray(), rows, cols, perColumn);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, $"int8 weight '{name}' [{rows}, {cols}]: {e.Message}");
        }
    }

    public static Header? ReadHeader(ModelFileContents contents, string path)
    {
        if (!contents.Metadata.TryGetValue(ModelFile.QuantizationKey, out var json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement)
                || !QuantizationTypeExtensions.TryParse(typeElement.GetString(), out var type)
                || !root.TryGetProperty("tensors", out var tensors) || tensors.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException(path, $"'{ModelFile.QuantizationKey}' must be {{\"type\": \"int8|q8_0|q4_0|q4_k\", \"tensors\": {{…}}}}, got {Shorten(json)}.");
            var map = new Dictionary<string, QuantizationType>(StringComparer.Ordinal);
            foreach (var property in tensors.EnumerateObject())
            {
                if (!QuantizationTypeExtensions.TryParse(property.Value.GetString(), out var t))
                    throw new ModelFormatException(path, $"'{ModelFile.QuantizationKey}': tensor '{property.Name}' has unknown type {property.Value}.");
                map[property.Name] = t;
            }
            return new Header(type, map);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ModelFormatException(path, $"'{ModelFile.QuantizationKey}' is not valid: {e.Message}");
        }
    }

    /// <summary>Reads one quantized weight that must have shape (rows, cols); every size is checked first.</summary>
    public static QuantizedWeight Read(ModelFileContents contents, string path, string name, QuantizationType type, int rows, int cols)
    {
        if (!contents.TryGetTensor(name, out var stored))
            throw new ModelFormatException(path, $"quantized weight '{name}' is missing.");
        try
        {
            if (type.Block() is { } block)
            {
                int rowBytes = BlockQuant.RowBytes(block, cols);
                Expect(stored, SafeTensorDType.U8, [rows, rowBytes], path, $"{type.ToName()} blocks of ({rows}, {cols})");
                return new QuantizedWeight(name, type, BlockMatrix.FromBlocks(block, stored.Data.Span, rows, cols));
            }
            Expect(stored, SafeTensorDType.I8, [rows, cols], path, "int8 values");
            if (!contents.TryGetTensor(name + ScaleSuffix, out var scales))
                throw new ModelFormatException(path, $"int8 weight '{name}' has no '{name}{ScaleSuffix}'.");
            Expect(scales, scales.DType == SafeTensorDType.F16 ? SafeTensorDType.F16 : SafeTensorDType.F32, [rows], path, "one F16 or F32 scale per row");
            var values = MemoryMarshal.Cast<byte, sbyte>(stored.Data.Span);
            return new QuantizedWeight(name, type, Int8Matrix.FromQuantized(values, scales.ToFloatArray(), rows, cols));
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(path, $"quantized weight '{name}': {e.Message}");
        }
    }

    /// <summary>An F16 tensor of <paramref name="values"/> (callers check they are exact float16 values).</summary>
    public static SafeTensor HalfTensor(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
        return new SafeTensor(name, SafeTensorDType.F16, shape, bytes);
    }

    private static void Expect(SafeTensor tensor, SafeTensorDType dtype, int[] shape, string path, string what)
    {
        if (tensor.DType != dtype || !tensor.Shape.SequenceEqual(shape))
            throw new ModelFormatException(path,
                $"'{tensor.Name}' is {tensor.DType.ToHeaderName()} [{string.Join(", ", tensor.ShapeArray())}], expected {dtype.ToHeaderName()} [{string.Join(", ", shape)}] ({what}).");
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
