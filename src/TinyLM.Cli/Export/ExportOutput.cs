namespace TinyLM.Cli.Export;

/// <summary>The --json line of <c>tinylm export gguf</c>.</summary>
public sealed record ExportOutput(string Out, string Type, long Bytes, int Tensors, long Parameters);

/// <summary>The --json line of <c>tinylm export onnx</c>.</summary>
public sealed record ExportOnnxOutput(string Out, string Kind, int Opset, long Bytes, int Nodes, int Initializers, long Parameters,
    string[] Inputs, string[] Outputs, string[] Labels);
