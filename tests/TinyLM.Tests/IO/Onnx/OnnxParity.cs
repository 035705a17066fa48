using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TinyLM.Models;
using TinyLM.Text;

namespace TinyLM.Tests.IO.Onnx;

/// <summary>Runs an exported classifier in ONNX Runtime and ours on the same padded batch and compares the results.</summary>
internal static class OnnxParity
{
    /// <summary>float32 agreement the issue asks for between ONNX Runtime and our forward.</summary>
    public const float Tolerance = 1e-4f;

    /// <summary>Texts of many lengths (1 to 30 words, an empty one, unknown words), so padding and masks matter.</summary>
    public static string[] Texts(int seed)
    {
        var words = ToyWords(seed);
        return [.. words, "", "zebra quokka", "oil", "the the the the said said said company oil oil barrel wheat grain shares merger oil crude opec tonnes harvest corn stake bid acquire market week new report analysts"];
    }

    private static string[] ToyWords(int seed) => [.. Models.ToyTopics.Make(12, seed).Examples.Select(e => e.Text)];

    /// <summary>(logits, probabilities) of ONNX Runtime, each (B·C) row-major.</summary>
    public static (float[] Logits, float[] Probabilities) RunOnnx(string path, PaddedBatch batch)
    {
        using var session = new InferenceSession(path);
        var ids = new DenseTensor<long>(batch.Ids.Select(i => (long)i).ToArray(), [batch.B, batch.T]);
        var lengths = new DenseTensor<long>(batch.Lengths.Select(l => (long)l).ToArray(), [batch.B]);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("lengths", lengths),
        ]);
        float[] Get(string name) => results.Single(r => r.Name == name).AsTensor<float>().ToArray();
        return (Get("logits"), Get("probabilities"));
    }

    /// <summary>Our mixture's logits and probabilities for the same batch, in evaluation mode.</summary>
    public static (float[] Logits, float[] Probabilities) RunOurs(TextClassifier model, PaddedBatch batch)
    {
        model.Eval();
        using var noGrad = TinyLM.Tensors.Tensor.NoGrad();
        var logits = model.Mixture.Logits(batch);
        var probabilities = model.Config.MultiLabel ? logits.Sigmoid() : logits.Softmax(-1);
        return (logits.ToArray(), probabilities.ToArray());
    }

    public static PaddedBatch Batch(TextClassifier model, IReadOnlyList<string> texts) =>
        Batching.Pad(model.Inputs.EncodeAll(texts), [.. Enumerable.Range(0, texts.Count)]);

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0f;
        for (int i = 0; i < a.Length; i++)
        {
            Assert.False(float.IsNaN(a[i]) || float.IsNaN(b[i]), $"NaN at {i}");
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }
        return max;
    }
}
