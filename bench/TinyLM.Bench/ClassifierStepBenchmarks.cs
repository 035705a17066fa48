using BenchmarkDotNet.Attributes;
using TinyLM.Models;
using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Bench;

/// <summary>
/// One training step (forward, cross-entropy, backward, Adam) of the default BiLSTM TextClassifier on a
/// synthetic batch of 32 texts of 20–99 words; the Allocated column is the managed allocation per step
/// (run: dotnet run -c Release --project bench/TinyLM.Bench -- --filter '*ClassifierStepBenchmarks*' --job short --inProcess).
/// </summary>
[MemoryDiagnoser]
public class ClassifierStepBenchmarks
{
    private TextClassifier _model = null!;
    private Adam _optimizer = null!;
    private int[][] _ids = [];
    private readonly int[] _batch = [.. Enumerable.Range(0, 32)];
    private readonly int[] _targets = new int[32];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        var examples = new List<TextExample>();
        for (int i = 0; i < 256; i++)
        {
            int length = 20 + rng.Next(80);
            var words = Enumerable.Range(0, length).Select(_ => "w" + rng.Next(500));
            examples.Add(new TextExample(string.Join(' ', words), [(i % 8).ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        }
        _model = TextClassifier.Create(TextClassifierConfig.SeedBiLstm, examples);
        _ids = _model.Inputs.EncodeAll([.. examples.Select(e => e.Text)]);
        _optimizer = new Adam(_model);
        for (int i = 0; i < _targets.Length; i++) _targets[i] = i % 8;
    }

    [Benchmark(Description = "BiLSTM classifier train step (B=32)")]
    public float TrainStep()
    {
        using var scope = new TensorScope();
        var logits = _model.Forward(Batching.Pad(_ids, _batch));          // (B, C)
        var loss = Tensor.CrossEntropy(logits, new IntTensor(_targets));  // ()
        loss.Backward();
        _optimizer.Step();
        _model.ZeroGrad();
        return loss.Item();
    }
}
