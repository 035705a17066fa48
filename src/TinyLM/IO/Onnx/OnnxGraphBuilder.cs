using System.Runtime.InteropServices;
using Google.Protobuf;
using TinyLM.IO.Onnx.Proto;
using TinyLM.Tensors;

namespace TinyLM.IO.Onnx;

/// <summary>
/// Collects the nodes, initializers, inputs and outputs of one ONNX graph and hands out fresh value names, so the
/// model-specific exporters read as a list of operations (x = Add(a, b)) rather than protobuf plumbing.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public OnnxGraphBuilder(string name, int opset)
    {
        _graph.Name = name;
        Opset = opset;
    }

    /// <summary>The default-domain opset the graph is written for (some operators changed form between versions).</summary>
    public int Opset { get; }

    /// <summary>The graph as built so far.</summary>
    public GraphProto Graph => _graph;

    /// <summary>A graph input: a tensor of <paramref name="type"/> with named (symbolic) or fixed dimensions.</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(Claim(name), type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> (already produced by a node) as a graph output.</summary>
    public void Output(string value, TensorProto.Types.DataType type, params object[] dims) =>
        _graph.Output.Add(ValueInfo(value, type, dims));

    /// <summary>A float32 initializer copied from a contiguous parameter tensor, in its own shape or <paramref name="shape"/>.</summary>
    public string Weight(string name, Tensor tensor, params long[] shape)
    {
        var values = tensor.Contiguous().AsSpan();
        return Floats(name, values, shape.Length > 0 ? shape : [.. tensor.Shape.Select(d => (long)d)]);
    }

    /// <summary>A float32 initializer from values in row-major order.</summary>
    public string Floats(string name, ReadOnlySpan<float> values, params long[] shape)
    {
        CheckCount(name, values.Length, shape);
        _graph.Initializer.Add(new TensorProto
        {
            Name = Claim(name),
            DataType = (int)TensorProto.Types.DataType.Float,
            Dims = { shape },
            // raw_data is little-endian by the spec; .NET on every platform we ship to is too.
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)),
        });
        return name;
    }

    /// <summary>An int64 initializer (shapes, axes, indices).</summary>
    public string Int64s(string name, ReadOnlySpan<long> values, params long[] shape)
    {
        CheckCount(name, values.Length, shape);
        _graph.Initializer.Add(new TensorProto
        {
            Name = Claim(name),
            DataType = (int)TensorProto.Types.DataType.Int64,
            Dims = { shape },
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)),
        });
        return name;
    }

    /// <summary>A one-dimensional int64 constant, named after its values.</summary>
    public string Longs(params long[] values) => Int64s(Unused("const_i64"), values, values.Length);

    /// <summary>A scalar float constant.</summary>
    public string Scalar(float value) => Floats(Unused("const_f32"), [value]);

    /// <summary>Adds one node with a fresh output name and returns that name.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes) =>
        NodeMulti(opType, inputs, 1, attributes)[0];

    /// <summary>Adds one node with <paramref name="outputs"/> fresh output names ("" inputs are ONNX's "absent").</summary>
    public string[] NodeMulti(string opType, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh(opType) };
        node.Input.AddRange(inputs);
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) node.Output.Add(names[i] = Fresh(opType.ToLowerInvariant()));
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>Adds a node whose single output gets a chosen name (graph outputs).</summary>
    public string NodeNamed(string output, string opType, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh(opType) };
        node.Input.AddRange(inputs);
        node.Output.Add(Claim(output));
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    public static AttributeProto Str(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string Fresh(string stem) => Claim(Unused(stem));

    // A name no value has yet, for the caller to claim.
    private string Unused(string stem)
    {
        string name;
        do name = $"{stem}_{_counter++}"; while (_names.Contains(name));
        return name;
    }

    private string Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"OnnxGraphBuilder: the value name '{name}' is used twice.");
        return name;
    }

    private static void CheckCount(string name, int count, long[] shape)
    {
        long expected = 1;
        foreach (long d in shape) expected *= d;
        if (expected != count)
            throw new ArgumentException($"OnnxGraphBuilder: '{name}' has {count} values but shape ({string.Join(", ", shape)}).");
    }

    // dims: a string is a symbolic (dynamic) axis, an int or long a fixed size.
    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int n => new TensorShapeProto.Types.Dimension { DimValue = n },
                long n => new TensorShapeProto.Types.Dimension { DimValue = n },
                _ => throw new ArgumentException($"OnnxGraphBuilder: dimension {d} of '{name}' is neither a name nor a size."),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
