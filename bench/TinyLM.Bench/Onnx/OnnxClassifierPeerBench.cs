using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using TinyLM.IO.Onnx;
using TinyLM.Kernels;
using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Bench.Onnx;

/// <summary>
/// `TinyLM.Bench onnx-classify [--trials N] [--threads 1,2]`: text classifier inference, ids in and logits out, by our
/// mixture forward (evaluation mode, no autograd) and by ONNX Runtime (CPU provider) on the graph `tinylm export onnx`
/// writes, for the bag and BiLSTM encoders at the default sizes (vocab 10,000, embed 64, hidden 64, max length 100),
/// batch 1 and 64, texts of 20–100 words. Weights are seeded random (speed does not depend on their values).
/// Trials (each at least 0.3 s of passes over the same 256 texts) alternate between the two; the best of each is kept.
/// </summary>
public static class OnnxClassifierPeerBench
{
    public static int Run(string[] args)
    {
        int trials = 3;
        int[] threadCounts = [1, 2];
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--trials" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t > 0: trials = t; i++; break;
                case "--threads" when i + 1 < args.Length: threadCounts = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                default:
                    Console.Error.WriteLine($"onnx-classify: unknown argument '{args[i]}'. Usage: onnx-classify [--trials N] [--threads 1,2]");
                    return 2;
            }
        }
        var rng = new Rng(7);
        var examples = Enumerable.Range(0, 2000).Select(i => new TextExample(
            string.Join(' ', Enumerable.Range(0, 20 + rng.NextInt(81)).Select(_ => $"w{rng.NextInt(12000)}")), [$"c{i % 8}"])).ToList();
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,8} {1,6} {2,8} {3,16} {4,16} {5,7}", "encoder", "batch", "threads", "TinyLM texts/s", "ORT texts/s", "ratio"));
        foreach (var encoder in new[] { EncoderKind.Bag, EncoderKind.BiLstm })
        {
            var model = TextClassifier.Create(new TextClassifierConfig { Encoder = encoder, Pooling = encoder == EncoderKind.Bag ? PoolingKind.Mean : PoolingKind.Last }, examples);
            model.Eval();
            string path = Path.Combine(Path.GetTempPath(), $"tinylm-bench-classifier-{encoder}-{Environment.ProcessId}.onnx");
            try
            {
                OnnxExport.Classifier(model, path);
                var encoded = model.Inputs.EncodeAll([.. examples.Select(e => e.Text)]);
                foreach (int batch in new[] { 1, 64 })
                {
                    // The same 256 texts either way: 256 batches of 1 or 4 of 64.
                    var batches = Enumerable.Range(0, 256 / batch).Select(b => Batching.Pad(encoded, [.. Enumerable.Range(b * batch, batch)])).ToList();
                    foreach (int threads in threadCounts)
                    {
                        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
                        using var session = new InferenceSession(path, options);
                        var inputs = batches.Select(b => new[]
                        {
                            OrtValue.CreateTensorValueFromMemory(b.Ids.Select(id => (long)id).ToArray(), [b.B, b.T]),
                            OrtValue.CreateTensorValueFromMemory(b.Lengths.Select(l => (long)l).ToArray(), [b.B]),
                        }).ToList();
                        using var runOptions = new RunOptions();
                        double ours = 0, theirs = 0;
                        for (int trial = -1; trial < trials; trial++) // trial −1 warms up both
                        {
                            double o = TextsPerSecond(256, () => Ours(model, batches, threads));
                            double r = TextsPerSecond(256, () =>
                            {
                                foreach (var input in inputs)
                                    using (session.Run(runOptions, ["input_ids", "lengths"], input, ["logits"])) { }
                            });
                            if (trial < 0) continue;
                            ours = Math.Max(ours, o);
                            theirs = Math.Max(theirs, r);
                        }
                        foreach (var input in inputs) foreach (var value in input) value.Dispose();
                        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,8} {1,6} {2,8} {3,16:F0} {4,16:F0} {5,7:F2}", encoder, batch, threads, ours, theirs, ours / theirs));
                    }
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
        return 0;
    }

    private static void Ours(TextClassifier model, List<PaddedBatch> batches, int threads)
    {
        int saved = Threading.MaxThreads;
        try
        {
            Threading.MaxThreads = threads;
            foreach (var batch in batches)
            {
                using var scope = new TensorScope();
                using var noGrad = Tensor.NoGrad();
                model.Mixture.Logits(batch);
            }
        }
        finally
        {
            Threading.MaxThreads = saved;
        }
    }

    // Passes over the 256 texts until 0.3 s have gone by, so one trial is long enough to measure under load.
    private static double TextsPerSecond(int texts, Action run)
    {
        long start = Stopwatch.GetTimestamp();
        int passes = 0;
        do
        {
            run();
            passes++;
        }
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < 0.3);
        return passes * texts / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
