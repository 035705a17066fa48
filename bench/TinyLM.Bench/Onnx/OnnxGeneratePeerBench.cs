using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using TinyLM.Bench.Harness;
using TinyLM.IO;
using TinyLM.IO.Onnx;
using TinyLM.Models;

namespace TinyLM.Bench.Onnx;

/// <summary>
/// `TinyLM.Bench onnx-generate [--shape 15m|110m] [--trials N] [--threads 1,2]`: greedy float32 decoding of the seeded
/// llama2.c-shaped model by TinyLM's run state and by ONNX Runtime (CPU provider) on the graph `tinylm export onnx`
/// writes, counted as `bench generate` counts it (BOS, then 255 tokens). ONNX Runtime is driven as a decoder loop
/// should drive it: the presents of one run are fed back as the next run's past without a copy (OrtValues).
/// Ours and ORT alternate per trial so load from elsewhere hits both alike; the best trial of each is kept.
/// </summary>
public static class OnnxGeneratePeerBench
{
    public static int Run(string[] args)
    {
        string shapeName = "15m";
        int trials = 3;
        int[] threadCounts = [1, 2];
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--shape" when i + 1 < args.Length: shapeName = args[++i]; break;
                case "--trials" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t > 0: trials = t; i++; break;
                case "--threads" when i + 1 < args.Length: threadCounts = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                default:
                    Console.Error.WriteLine($"onnx-generate: unknown argument '{args[i]}'. Usage: onnx-generate [--shape 15m|110m] [--trials N] [--threads 1,2]");
                    return 2;
            }
        }
        LlamaShape shape = GenerateBench.Shape(shapeName);
        CausalLM model = LlamaConversion.ToModel(LlamaWeights.Random(shape, GenerateBench.Seed));
        string path = Path.Combine(Path.GetTempPath(), $"tinylm-bench-{shapeName}-{Environment.ProcessId}.onnx");
        try
        {
            OnnxExport.CausalLM(new TokenizedCausalLM(model, GenerateBench.SyntheticTokenizer(shape.VocabSize)), path);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,6} {1,8} {2,14} {3,12} {4,7}", "shape", "threads", "TinyLM tok/s", "ORT tok/s", "ratio"));
            foreach (int threads in threadCounts)
            {
                using var decoder = new OrtDecoder(path, model.Config, threads);
                double ours = 0, theirs = 0;
                for (int trial = 0; trial < trials; trial++)
                {
                    ours = Math.Max(ours, GenerateBench.MeasureOurs(model, threads));
                    theirs = Math.Max(theirs, GenerateBench.Measure(decoder.Prefill, decoder.DecodeStep, decoder.Reset));
                }
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,6} {1,8} {2,14:F1} {3,12:F1} {4,7:F2}", shapeName, threads, ours, theirs, ours / theirs));
            }
            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

    // One sequence decoded through the past-KV graph; the presents stay in ORT's memory between steps.
    private sealed class OrtDecoder : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new();
        private readonly CausalLMConfig _config;
        private readonly string[] _inputNames;
        private readonly string[] _outputNames;
        private OrtValue[] _past;

        public OrtDecoder(string path, CausalLMConfig config, int threads)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            _session = new InferenceSession(path, options);
            _config = config;
            // Names in the order the past is kept: layer 0 key, layer 0 value, layer 1 key, …
            var layers = Enumerable.Range(0, config.Layers);
            _inputNames = ["input_ids", .. layers.SelectMany(i => new[] { $"past_key_values.{i}.key", $"past_key_values.{i}.value" })];
            _outputNames = ["logits", .. layers.SelectMany(i => new[] { $"present.{i}.key", $"present.{i}.value" })];
            _past = [];
            Reset();
        }

        public void Reset()
        {
            foreach (var value in _past) value.Dispose();
            _past = [.. Enumerable.Range(0, 2 * _config.Layers).Select(_ =>
                OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [1, _config.ResolvedKvHeads, 0, _config.HeadDim]))];
        }

        public float[] Prefill(ReadOnlySpan<int> tokens) => Run([.. tokens.ToArray().Select(t => (long)t)]);

        public float[] DecodeStep(int token) => Run([token]);

        private float[] Run(long[] ids)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
            var inputs = new OrtValue[1 + _past.Length];
            inputs[0] = input;
            _past.CopyTo(inputs, 1);
            var outputs = _session.Run(_runOptions, _inputNames, inputs, _outputNames);
            var logits = outputs[0].GetTensorDataAsSpan<float>()[((ids.Length - 1) * _config.VocabSize)..].ToArray();
            foreach (var value in _past) value.Dispose();
            _past = [.. outputs.Skip(1)];
            outputs[0].Dispose();
            return logits;
        }

        public void Dispose()
        {
            foreach (var value in _past) value.Dispose();
            _session.Dispose();
            _runOptions.Dispose();
        }
    }
}
