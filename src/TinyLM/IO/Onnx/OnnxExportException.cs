namespace TinyLM.IO.Onnx;

/// <summary>A model (or an option of it) that the ONNX exporter cannot write faithfully; nothing is written.</summary>
public sealed class OnnxExportException(string message) : Exception(message);
