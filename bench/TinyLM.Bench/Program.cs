using BenchmarkDotNet.Running;

namespace TinyLM.Bench;

public static class Program
{
    /// <summary>`generate …` runs the llama.cpp peer comparison, `onnx-generate …` and `onnx-classify …` the ONNX Runtime ones; anything else goes to BenchmarkDotNet.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "generate")
            return LlamaCpp.GeneratePeerBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "onnx-generate")
            return Onnx.OnnxGeneratePeerBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "onnx-classify")
            return Onnx.OnnxClassifierPeerBench.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
