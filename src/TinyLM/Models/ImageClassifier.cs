using TinyLM.Nn;
using TinyLM.Tensors;
using TinyLM.Text;

namespace TinyLM.Models;

/// <summary>
/// A small convolutional image classifier (<see cref="ImageArch.CnnSmall"/>): images (N, C, H, W) of bytes are
/// scaled to [0, 1], normalised by the config's pixel mean and deviation, and mapped to class logits (N, classes).
/// Parameter names follow PyTorch (<c>conv1.weight</c>, <c>bn1.running_mean</c> …).
/// </summary>
public sealed class ImageClassifier : Module
{
    public ImageClassifier(ImageClassifierConfig config, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(labels);
        config.Validate();
        if (labels.Count != config.Classes)
            throw new ArgumentException($"ImageClassifier: {labels.Count} labels for {config.Classes} classes.");
        Config = config;
        Labels = [.. labels];
        var rng = new Rng(config.Seed);
        // No conv bias: the batch norm right after it has its own shift.
        Conv1 = RegisterModule("conv1", new Conv2d(config.Channels, config.Width1, 3, rng, padding: 1, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(config.Width1));
        Conv2 = RegisterModule("conv2", new Conv2d(config.Width1, config.Width2, 3, rng, padding: 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(config.Width2));
        var (ph, pw) = config.PooledSize;
        Fc = RegisterModule("fc", new Linear(config.Width2 * ph * pw, config.Classes, rng));
    }

    public ImageClassifierConfig Config { get; }
    public IReadOnlyList<string> Labels { get; }
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Linear Fc { get; }

    private static readonly MaxPool2d Pool = new(2);

    /// <summary>The batch-norm running statistics under their dotted names (not trained, but saved).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers()
    {
        foreach (var (prefix, bn) in new[] { ("bn1", Bn1), ("bn2", Bn2) })
            foreach (var b in bn.NamedBuffers()) yield return new($"{prefix}.{b.Key}", b.Value);
    }

    /// <summary>Normalised pixels (N, C, H, W) → logits (N, classes).</summary>
    public Tensor Forward(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var c = Config;
        if (images.Rank != 4 || images.Dim(1) != c.Channels || images.Dim(2) != c.Height || images.Dim(3) != c.Width)
            throw new ArgumentException($"ImageClassifier: images must be (N, {c.Channels}, {c.Height}, {c.Width}), got ({string.Join(", ", images.Shape)}).");
        var h = Pool.Forward(Bn1.Forward(Conv1.Forward(images)).Relu());     // (N, W1, H/2, W/2)
        h = Pool.Forward(Bn2.Forward(Conv2.Forward(h)).Relu());              // (N, W2, H/4, W/4)
        return Fc.Forward(h.Reshape(h.Dim(0), -1));                          // (N, classes)
    }

    /// <summary>The images <paramref name="indices"/> of <paramref name="data"/> as a normalised batch (N, C, H, W).</summary>
    public Tensor Batch(ImageDataset data, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(data);
        int size = data.ImageSize;
        var x = Tensor.Empty(indices.Length, data.Channels, data.Height, data.Width);
        var xs = x.AsSpan();
        float scale = 1f / (255f * Config.PixelStd), shift = -Config.PixelMean / Config.PixelStd;
        for (int i = 0; i < indices.Length; i++)
        {
            var src = data.Pixels.AsSpan(indices[i] * size, size);
            var dst = xs.Slice(i * size, size);
            for (int p = 0; p < size; p++) dst[p] = src[p] * scale + shift;
        }
        return x;
    }

    /// <summary>Throws naming the data set when its images or classes do not fit this model.</summary>
    public void CheckShape(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var c = Config;
        if (data.Channels != c.Channels || data.Height != c.Height || data.Width != c.Width)
            throw new ArgumentException($"{data.Source}: images are {data.Channels}×{data.Height}×{data.Width}, the model takes {c.Channels}×{c.Height}×{c.Width}.");
        if (data.Classes > c.Classes)
            throw new ArgumentException($"{data.Source}: labels go up to {data.Classes - 1}, the model has {c.Classes} classes.");
    }

    /// <summary>Predicted class of every image, in evaluation mode, batch by batch.</summary>
    public int[] Predict(ImageDataset data, int batchSize = 256)
    {
        CheckShape(data);
        var predictions = new int[data.Count];
        bool training = Training;
        Eval();
        try
        {
            using var _ = Tensor.NoGrad();
            for (int start = 0; start < data.Count; start += batchSize)
            {
                using var scope = new TensorScope();
                int n = Math.Min(batchSize, data.Count - start);
                var indices = Enumerable.Range(start, n).ToArray();
                var logits = Forward(Batch(data, indices)).AsSpan();    // (n, classes)
                for (int i = 0; i < n; i++)
                    predictions[start + i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(i * Config.Classes, Config.Classes));
            }
        }
        finally
        {
            Train(training);
        }
        return predictions;
    }

    /// <summary>Fraction of <paramref name="data"/> predicted right.</summary>
    public double Accuracy(ImageDataset data)
    {
        var predicted = Predict(data);
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == data.Labels[i]) correct++;
        return data.Count == 0 ? 0 : (double)correct / data.Count;
    }

    /// <summary>Pixel mean and standard deviation (0–1 scale) of a data set, for <see cref="ImageClassifierConfig.PixelMean"/>/<see cref="ImageClassifierConfig.PixelStd"/>.</summary>
    public static (float Mean, float Std) PixelStatistics(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double sum = 0, sq = 0;
        foreach (byte b in data.Pixels)
        {
            sum += b;
            sq += b * b;
        }
        long n = Math.Max(1, data.Pixels.LongLength);
        double mean = sum / n, variance = Math.Max(0, sq / n - mean * mean);
        return ((float)(mean / 255), (float)Math.Max(Math.Sqrt(variance) / 255, 1e-3));
    }
}
