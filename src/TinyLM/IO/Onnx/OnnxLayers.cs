using TinyLM.IO.Onnx.Proto;
using TinyLM.Nn;
using static TinyLM.IO.Onnx.OnnxGraphBuilder;

namespace TinyLM.IO.Onnx;

/// <summary>
/// Our layers written as ONNX operators (opset 17 and up), one method each, each matching the managed forward it
/// stands for: same weight layout, same masking of padded positions, same GELU approximation.
/// </summary>
internal static class OnnxLayers
{
    private const float MaxMaskValue = -3.4e38f; // below any activation, so a padded step never wins a max

    /// <summary>Linear: x (…, in) → (…, out); the weight goes in transposed so MatMul needs no Transpose node.</summary>
    public static string Linear(this OnnxGraphBuilder g, string x, Linear layer, string name)
    {
        int outF = layer.Weight.Dim(0), inF = layer.Weight.Dim(1);
        var w = layer.Weight.Contiguous().AsSpan();
        var transposed = new float[w.Length];
        for (int o = 0; o < outF; o++)
            for (int i = 0; i < inF; i++) transposed[i * outF + o] = w[o * inF + i];
        string y = g.Node("MatMul", [x, g.Floats(name + ".weight_t", transposed, inF, outF)]);
        return layer.Bias is null ? y : g.Node("Add", [y, g.Weight(name + ".bias", layer.Bias)]);
    }

    /// <summary>LayerNorm over the last axis (ONNX LayerNormalization, opset 17).</summary>
    public static string LayerNorm(this OnnxGraphBuilder g, string x, LayerNorm norm, string name)
    {
        if (norm.Weight is null) throw new OnnxExportException($"{name}: a LayerNorm without a scale is not exported.");
        // A bias-free norm gets an explicit zero bias rather than the absent input the spec allows: ONNX Runtime 1.31's
        // graph optimisations crash the process on a LayerNormalization without one (seen with nanoGPT's bias=False).
        string bias = norm.Bias is null ? g.Floats(name + ".bias", new float[norm.Dim], norm.Dim) : g.Weight(name + ".bias", norm.Bias);
        return g.Node("LayerNormalization", [x, g.Weight(name + ".weight", norm.Weight), bias], Int("axis", -1), Float("epsilon", norm.Eps));
    }

    /// <summary>GELU, tanh approximation (our ActivationKind.Gelu): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    public static string GeluTanh(this OnnxGraphBuilder g, string x)
    {
        string cube = g.Node("Mul", [g.Node("Mul", [x, x]), x]);
        string inner = g.Node("Add", [x, g.Node("Mul", [cube, g.Scalar(0.044715f)])]);
        string t = g.Node("Tanh", [g.Node("Mul", [inner, g.Scalar(MathF.Sqrt(2f / MathF.PI))])]);
        string onePlus = g.Node("Add", [t, g.Scalar(1f)]);
        return g.Node("Mul", [g.Node("Mul", [x, g.Scalar(0.5f)]), onePlus]);
    }

    /// <summary>The size of axis <paramref name="axis"/> of <paramref name="x"/> as a one-element int64 tensor.</summary>
    public static string AxisSize(this OnnxGraphBuilder g, string x, int axis) =>
        g.Node("Slice", [g.Node("Shape", [x]), g.Longs(axis), g.Longs(axis + 1), g.Longs(0)]);

    /// <summary>(B, T) bool: position t of row b is valid (t &lt; lengths[b]), T taken from axis 1 of <paramref name="sequence"/>.</summary>
    public static string ValidMask(this OnnxGraphBuilder g, string sequence, string lengths)
    {
        string t = g.Node("Squeeze", [g.AxisSize(sequence, 1), g.Longs(0)]);                 // scalar T
        string zero = g.Int64s($"zero_{t}", [0L]), one = g.Int64s($"one_{t}", [1L]);
        string positions = g.Node("Range", [zero, t, one]);                                   // (T)
        return g.Node("Less", [g.Node("Unsqueeze", [positions, g.Longs(0)]),                  // (1, T)
            g.Node("Unsqueeze", [lengths, g.Longs(1)])]);                                     // (B, 1) → (B, T)
    }

    /// <summary>Mean over the first <c>lengths[b]</c> steps of x (B, T, C) → (B, C); an empty row gives zeros.</summary>
    public static string MeanOverTime(this OnnxGraphBuilder g, string x, string lengths)
    {
        string mask = g.Node("Cast", [g.Node("Unsqueeze", [g.ValidMask(x, lengths), g.Longs(2)])], Int("to", (long)TensorProto.Types.DataType.Float));
        string sum = g.Node("ReduceSum", [g.Node("Mul", [x, mask]), g.Longs(1)], Int("keepdims", 0)); // (B, C)
        string count = g.Node("Max", [g.Node("Cast", [lengths], Int("to", (long)TensorProto.Types.DataType.Float)), g.Scalar(1f)]);
        return g.Node("Div", [sum, g.Node("Unsqueeze", [count, g.Longs(1)])]);
    }

    /// <summary>Max over the first <c>lengths[b]</c> steps of x (B, T, C) → (B, C); an empty row gives zeros.</summary>
    public static string MaxOverTime(this OnnxGraphBuilder g, string x, string lengths)
    {
        string mask = g.Node("Unsqueeze", [g.ValidMask(x, lengths), g.Longs(2)]);           // (B, T, 1)
        string masked = g.Node("Where", [mask, x, g.Scalar(MaxMaskValue)]);
        // ReduceMax took its axes as an attribute until opset 18, as an input since.
        string max = g.Opset >= 18
            ? g.Node("ReduceMax", [masked, g.Longs(1)], Int("keepdims", 0))
            : g.Node("ReduceMax", [masked], Ints("axes", 1), Int("keepdims", 0));             // (B, C)
        string nonEmpty = g.Node("Unsqueeze", [g.Node("Greater", [lengths, g.Int64s($"zero_{max}", [0L])]), g.Longs(1)]);
        return g.Node("Where", [nonEmpty, max, g.Scalar(0f)]);
    }
}
