using TinyLM.Models;
using TinyLM.Tensors;
using TinyLM.Text;
using TinyLM.Training;

namespace TinyLM.Compression;

/// <summary>What <see cref="ClassifierPruner.Prune"/> does.</summary>
public sealed record PruningOptions
{
    /// <summary>Share of weights (unstructured) or units (structured) removed, in (0, 1).</summary>
    public double Sparsity { get; init; } = 0.5;
    /// <summary>Which units structured pruning removes; null = unstructured magnitude pruning.</summary>
    public StructuredPruning? Structured { get; init; }
    /// <summary>Labelled training data to fine-tune on (and to count word frequencies for vocab pruning); null = one-shot.</summary>
    public TextDataset? FineTuneData { get; init; }
    /// <summary>Fine-tuning epochs (unstructured pruning follows the gradual schedule during them).</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Fine-tuning learning rate; null = the encoder's recipe rate.</summary>
    public float? LearningRate { get; init; }
    /// <summary>Seed of the fine-tuning run.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Progress of the fine-tuning run.</summary>
    public IProgress<TrainProgress>? Progress { get; init; }
}

/// <summary>One parameter before and after pruning.</summary>
/// <param name="Name">Parameter name.</param>
/// <param name="Before">Shape before.</param>
/// <param name="After">Shape after (structured), or the same shape (unstructured).</param>
/// <param name="Sparsity">Share of its weights that are zero after pruning.</param>
public sealed record PrunedLayer(string Name, int[] Before, int[] After, double Sparsity);

/// <summary>The pruned model (a new object; the input is untouched) and what changed.</summary>
/// <param name="Model">The pruned (and fine-tuned) classifier.</param>
/// <param name="Layers">Every parameter whose shape or sparsity changed.</param>
/// <param name="NonZeroParameters">Parameters that are not exactly zero (what a sparse file stores).</param>
/// <param name="FineTune">The fine-tuning run, or null for one-shot pruning.</param>
public sealed record PruningResult(TextClassifier Model, IReadOnlyList<PrunedLayer> Layers, long NonZeroParameters, TrainResult? FineTune);

/// <summary>
/// Pruning of a text classifier: unstructured magnitude pruning (masks grown on Zhu &amp; Gupta's cubic schedule while
/// fine-tuning, pruned weights held at zero after every optimizer step, saved in the sparse file layout), or
/// structured pruning (<see cref="StructuredPruner"/>) followed by plain fine-tuning of the smaller model.
/// </summary>
public static class ClassifierPruner
{
    public static PruningResult Prune(TextClassifier model, PruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Sparsity > 0 && options.Sparsity < 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.Sparsity, $"prune: sparsity must be in (0, 1), got {options.Sparsity}.");
        if (!model.HasNetwork) throw new ArgumentException("prune: the model is the linear SVM alone; it has no network to prune.");
        if (model.Quantization is not null)
            throw new ArgumentException($"prune: the model is quantized ({model.Quantization}); prune its float32 original, then quantize.");
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "prune: epochs must be ≥ 1.");
        if (options.FineTuneData is { Count: 0 } empty) throw new ArgumentException($"prune: the fine-tuning data {empty.Source} holds no examples.");

        TextClassifier pruned;
        MagnitudePruner? masks = null;
        if (options.Structured is { } kind)
        {
            var corpus = options.FineTuneData?.Examples.Select(e => e.Text).ToArray();
            pruned = StructuredPruner.Prune(model, kind, options.Sparsity, corpus);
        }
        else
        {
            pruned = Copy(model);
            masks = new MagnitudePruner(pruned);
        }

        TrainResult? fineTune = null;
        if (options.FineTuneData is { } data)
        {
            var recipe = ClassifierRecipes.For(pruned.Config.Encoder).Training;
            // The embeddings are trained already: warm-starting them again would overwrite what pruning kept.
            var training = recipe with
            {
                Epochs = options.Epochs, Classifier = recipe.Classifier with { WarmStartEpochs = 0 }, Seed = options.Seed,
                LearningRate = options.LearningRate ?? recipe.LearningRate,
            };
            int steps = (data.Count + training.BatchSize - 1) / training.BatchSize * training.Epochs;
            var schedule = PruningSchedule.ForRun(options.Sparsity, steps);
            var trainer = new ClassifierTrainer(pruned, training)
            {
                Progress = options.Progress,
                AfterStep = masks is null ? null : step =>
                {
                    if (schedule.IsPruningStep(step)) masks.PruneTo(schedule.SparsityAt(step));
                    else masks.Apply();
                },
            };
            fineTune = trainer.Fit(data);
        }
        masks?.PruneTo(options.Sparsity);
        pruned.Eval();
        return new PruningResult(pruned, Layers(model, pruned), NonZero(pruned), fineTune);
    }

    private static TextClassifier Copy(TextClassifier model)
    {
        var copy = new TextClassifier(model.Config, model.Tokenizer, model.Labels);
        var source = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, target) in copy.NamedParameters()) source[name].Contiguous().AsSpan().CopyTo(target.AsSpan());
        return copy;
    }

    private static List<PrunedLayer> Layers(TextClassifier before, TextClassifier after)
    {
        var old = before.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var layers = new List<PrunedLayer>();
        foreach (var (name, tensor) in after.NamedParameters())
        {
            var o = old[name];
            double sparsity = Zeros(tensor) / (double)Math.Max(1, tensor.Length);
            bool reshaped = !o.Shape.SequenceEqual(tensor.Shape);
            if (reshaped || sparsity > Zeros(o) / (double)Math.Max(1, o.Length) + 1e-9)
                layers.Add(new PrunedLayer(name, o.Shape.ToArray(), tensor.Shape.ToArray(), sparsity));
        }
        return layers;
    }

    private static long NonZero(TextClassifier model)
    {
        long count = 0;
        foreach (var p in model.Parameters()) count += p.Length - Zeros(p);
        return count;
    }

    private static int Zeros(Tensor t)
    {
        int zeros = 0;
        foreach (float v in t.Contiguous().AsSpan())
            if (v == 0f) zeros++;
        return zeros;
    }
}
