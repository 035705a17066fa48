namespace TinyLM.Cli.Export;

/// <summary>The --json line of <c>tinylm export gguf</c>.</summary>
public sealed record ExportOutput(string Out, string Type, long Bytes, int Tensors, long Parameters);
